import type { Job } from 'bullmq';
import { createRedisConnection, parseEventPayload, startOutboxRelay, startQueueWorkers, type EventJob } from '@shutter/events';
import { createLogger, type Logger } from '@shutter/service';
import type { FeedConfig } from '../config.ts';
import { createFeedDatabase } from '../db/client.ts';
import { createFeedDeps } from '../deps.ts';
import { applyFollow, applyUnfollow, fanOutPost, notifyComment, notifyLike, removePost } from '../fanout.ts';

/** Every queue this worker consumes; the handlers record below must name each (checked by tsc). */
export const FEED_QUEUES = [
  'feed.post-created',
  'feed.post-deleted',
  'feed.follow-created',
  'feed.follow-deleted',
  'feed.post-liked',
  'feed.comment-added',
] as const;

/** feed's worker: fan-out, timeline upkeep and notifications; and the outbox relay (notification.created). */
export async function startFeedWorker(config: FeedConfig, options: { logger?: Logger } = {}) {
  const logger = options.logger ?? createLogger('feed-worker', config.LOG_LEVEL);
  const database = createFeedDatabase(config.FEED_DATABASE_URL, { max: 2 + config.FANOUT_CONCURRENCY });
  // Timeline writes and live publishes; BullMQ's blocking reads get connections of their own.
  const redis = createRedisConnection(config.REDIS_URL);
  const connection = createRedisConnection(config.REDIS_URL);
  const deps = createFeedDeps(config, database.db, redis);
  const handlers: Record<(typeof FEED_QUEUES)[number], (job: Job<EventJob>) => Promise<unknown>> = {
    'feed.post-created': (job) => fanOutPost(deps, parseEventPayload('post.created', job.data.payload)),
    'feed.post-deleted': (job) => removePost(deps, parseEventPayload('post.deleted', job.data.payload)),
    'feed.follow-created': (job) => applyFollow(deps, parseEventPayload('follow.created', job.data.payload)),
    'feed.follow-deleted': (job) => applyUnfollow(deps, parseEventPayload('follow.deleted', job.data.payload)),
    'feed.post-liked': (job) => notifyLike(deps, parseEventPayload('post.liked', job.data.payload)),
    'feed.comment-added': (job) => notifyComment(deps, parseEventPayload('comment.added', job.data.payload)),
  };
  const workers = startQueueWorkers(handlers, {
    service: 'feed',
    connection,
    prefix: config.QUEUE_PREFIX,
    log: logger,
    options: Object.fromEntries(FEED_QUEUES.map((queue) => [queue, { concurrency: config.FANOUT_CONCURRENCY }])),
  });
  const relay = await startOutboxRelay({ sql: database.sql, queues: { connection, prefix: config.QUEUE_PREFIX }, log: logger });
  logger.info({ queues: FEED_QUEUES }, 'feed worker running');
  return {
    relay,
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await relay.stop();
      await Promise.all([connection.quit(), redis.quit()]);
      await database.close();
    },
  };
}
