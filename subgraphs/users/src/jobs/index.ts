import type { Job, WorkerOptions } from 'bullmq';
import { createQueue, createRedisConnection, DEFAULT_JOB_OPTIONS, parseEventPayload, startQueueWorkers, type EventJob, type QueueName } from '@shutter/events';
import { createLogger, type Logger } from '@shutter/service';
import type { UsersConfig } from '../config.ts';
import { createUsersDatabase } from '../db/client.ts';
import { createPushSenders, deliverPush, planPushDeliveries, pushDeliverySchema, type PushSenders } from '../push/delivery.ts';
import { retryDelay } from '../push/outcome.ts';

/** notification.created, from the feed's outbox: one job per batch of notifications (a page of a fan-out). */
export const PUSH_NOTIFICATION_QUEUE = 'users.push-notification' satisfies QueueName;
/** This worker's own queue: one job per device, so that each device is retried on its own. */
export const PUSH_DELIVER_QUEUE = 'users.push-deliver';

/** Every queue this worker consumes, with its handler: checked at start (no job without a handler). */
export const USERS_QUEUES = [PUSH_NOTIFICATION_QUEUE, PUSH_DELIVER_QUEUE] as const;
type UsersQueue = (typeof USERS_QUEUES)[number];

// A backoff type of our own, so that BullMQ asks retryDelay (which reads Retry-After) for the wait.
const PUSH_BACKOFF = 'push';

/**
 * The delivery's jobId: a notification re-delivered (the outbox is at least once) adds no second
 * push to a device. BullMQ refuses a custom id with one ':' in it, hence the '.'.
 */
export const pushJobId = (notificationId: string, deviceId: string) => `${notificationId}.${deviceId}`;

/** users' worker: push delivery. The users service has no outbox, so it runs no relay. */
export async function startUsersWorker(config: UsersConfig, options: { logger?: Logger; senders?: PushSenders } = {}) {
  const logger = options.logger ?? createLogger('users-worker', config.LOG_LEVEL);
  const database = createUsersDatabase(config.USERS_DATABASE_URL, { max: 4 });
  const connection = createRedisConnection(config.REDIS_URL);
  const deliverQueue = createQueue(PUSH_DELIVER_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
  const senders = options.senders ?? createPushSenders(config, logger);
  const deliveryOptions = { ...DEFAULT_JOB_OPTIONS, backoff: { type: PUSH_BACKOFF, delay: config.PUSH_RETRY_DELAY_MS } };

  const handlers: Record<UsersQueue, (job: Job) => Promise<unknown>> = {
    'users.push-notification': async (job: Job<EventJob>) => {
      const { notifications } = parseEventPayload('notification.created', job.data.payload);
      const deliveries = await planPushDeliveries(database.db, notifications);
      await deliverQueue.addBulk(
        deliveries.map((data) => ({ name: 'push', data, opts: { ...deliveryOptions, jobId: pushJobId(data.message.data.notificationId, data.deviceId) } })),
      );
      return { devices: deliveries.length };
    },
    'users.push-deliver': (job) => deliverPush({ db: database.db, senders, log: logger }, pushDeliverySchema.parse(job.data)),
  };
  const workerOptions: Record<UsersQueue, Partial<WorkerOptions>> = {
    // Two queries and one Redis call per notification.
    'users.push-notification': { concurrency: 4 },
    // Mostly waiting on push services.
    'users.push-deliver': {
      concurrency: config.PUSH_CONCURRENCY,
      settings: { backoffStrategy: (attemptsMade, _type, err) => retryDelay(attemptsMade, config.PUSH_RETRY_DELAY_MS, err) },
    },
  };

  const workers = startQueueWorkers(handlers, { service: 'users', connection, prefix: config.QUEUE_PREFIX, log: logger, options: workerOptions });
  logger.info({ queues: USERS_QUEUES, web: !!senders.WEB_PUSH, fcm: !!senders.FCM }, 'users worker running');
  return {
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await deliverQueue.close();
      await connection.quit();
      await database.close();
    },
  };
}
