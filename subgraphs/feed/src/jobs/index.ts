import type { Job } from 'bullmq';
import { createRedisConnection, parseEventPayload, type EventJob } from '@shutter/events';
import type { Logger } from '@shutter/service';
import { startServiceWorker, type RunningWorker } from '@shutter/service/worker';
import type { FeedConfig } from '../config.ts';
import { feedDatabase } from '../db/index.ts';
import { createFeedDeps } from '../deps.ts';
import { notifyComment } from './comment-added.ts';
import { applyFollow } from './follow-created.ts';
import { applyUnfollow } from './follow-deleted.ts';
import { fanOutPost } from './post-created.ts';
import { removePost } from './post-deleted.ts';
import { notifyLike } from './post-liked.ts';

/** feed's worker: fan-out, timeline upkeep and notifications; and the outbox relay (notification.created). */
export function startFeedWorker(config: FeedConfig, options: { logger?: Logger } = {}): Promise<RunningWorker> {
  // Two for the relay and the small jobs, and two per fan-out running: its own queries and the
  // notification pages it writes behind its timelines (up to 3 at once; more wait in the pool's
  // queue rather than take the connections the other queues need). 10 with the default 4.
  const database = feedDatabase.connect(config.FEED_DATABASE_URL, { max: 2 + 2 * config.FANOUT_CONCURRENCY });
  return startServiceWorker({
    name: 'feed-worker',
    service: 'feed',
    config,
    logger: options.logger,
    database,
    relay: true,
    setup: () => {
      // Timeline writes and live publishes: BullMQ's blocking reads keep their own connection.
      const redis = createRedisConnection(config.REDIS_URL);
      const deps = createFeedDeps(config, database.db, redis);
      const handlers = {
        'feed.post-created': (job: Job<EventJob>) => fanOutPost(deps, parseEventPayload('post.created', job.data.payload)),
        'feed.post-deleted': (job: Job<EventJob>) => removePost(deps, parseEventPayload('post.deleted', job.data.payload)),
        'feed.follow-created': (job: Job<EventJob>) => applyFollow(deps, parseEventPayload('follow.created', job.data.payload)),
        'feed.follow-deleted': (job: Job<EventJob>) => applyUnfollow(deps, parseEventPayload('follow.deleted', job.data.payload)),
        'feed.post-liked': (job: Job<EventJob>) => notifyLike(deps, parseEventPayload('post.liked', job.data.payload)),
        'feed.comment-added': (job: Job<EventJob>) => notifyComment(deps, parseEventPayload('comment.added', job.data.payload)),
      };
      const concurrency = { concurrency: config.FANOUT_CONCURRENCY };
      return {
        handlers,
        queueOptions: Object.fromEntries(Object.keys(handlers).map((queue) => [queue, concurrency])),
        closes: [() => redis.quit().then(() => undefined)],
      };
    },
  });
}
