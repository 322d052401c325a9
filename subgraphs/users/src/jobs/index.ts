import type { Job } from 'bullmq';
import { createQueue, DEFAULT_JOB_OPTIONS, parseEventPayload, type EventJob, type QueueName } from '@shutter/events';
import type { Logger } from '@shutter/service';
import { startServiceWorker, type RunningWorker } from '@shutter/service/worker';
import type { UsersConfig } from '../config.ts';
import { usersDatabase } from '../db/index.ts';
import { createPushSenders, deliverPush, planPushDeliveries, pushDeliverySchema, type PushSenders } from '../push/delivery.ts';
import { retryDelay } from '../push/outcome.ts';

/** notification.created, from the feed's outbox: one job per batch of notifications (a page of a fan-out). */
export const PUSH_NOTIFICATION_QUEUE = 'users.push-notification' satisfies QueueName;
/** This worker's own queue: one job per device, so that each device is retried on its own. */
export const PUSH_DELIVER_QUEUE = 'users.push-deliver';

type UsersQueue = typeof PUSH_NOTIFICATION_QUEUE | typeof PUSH_DELIVER_QUEUE;

// A backoff type of our own, so that BullMQ asks retryDelay (which reads Retry-After) for the wait.
const PUSH_BACKOFF = 'push';

/**
 * The delivery's jobId: a notification re-delivered (the outbox is at least once) adds no second
 * push to a device. BullMQ refuses a custom id with one ':' in it, hence the '.'.
 */
export const pushJobId = (notificationId: string, deviceId: string) => `${notificationId}.${deviceId}`;

/** users' worker: push delivery. The users service has no outbox, so it runs no relay. */
export function startUsersWorker(config: UsersConfig, options: { logger?: Logger; senders?: PushSenders } = {}): Promise<RunningWorker> {
  const database = usersDatabase.connect(config.USERS_DATABASE_URL, { max: 4 });
  return startServiceWorker<UsersQueue>({
    name: 'users-worker',
    service: 'users',
    config,
    logger: options.logger,
    database,
    setup: ({ connection, logger }) => {
      const deliverQueue = createQueue(PUSH_DELIVER_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
      const senders = options.senders ?? createPushSenders(config, logger);
      logger.info({ web: !!senders.WEB_PUSH, fcm: !!senders.FCM }, 'push senders');
      const deliveryOptions = { ...DEFAULT_JOB_OPTIONS, backoff: { type: PUSH_BACKOFF, delay: config.PUSH_RETRY_DELAY_MS } };
      return {
        handlers: {
          [PUSH_NOTIFICATION_QUEUE]: async (job: Job<EventJob>) => {
            const { notifications } = parseEventPayload('notification.created', job.data.payload);
            const deliveries = await planPushDeliveries(database.db, notifications);
            await deliverQueue.addBulk(
              deliveries.map((data) => ({ name: 'push', data, opts: { ...deliveryOptions, jobId: pushJobId(data.message.data.notificationId, data.deviceId) } })),
            );
            return { devices: deliveries.length };
          },
          [PUSH_DELIVER_QUEUE]: (job: Job) => deliverPush({ db: database.db, senders, log: logger }, pushDeliverySchema.parse(job.data)),
        },
        queueOptions: {
          // Two queries and one Redis call per notification.
          [PUSH_NOTIFICATION_QUEUE]: { concurrency: 4 },
          // Mostly waiting on push services.
          [PUSH_DELIVER_QUEUE]: {
            concurrency: config.PUSH_CONCURRENCY,
            settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => retryDelay(attemptsMade, config.PUSH_RETRY_DELAY_MS, err) },
          },
        },
        closes: [() => deliverQueue.close()],
      };
    },
  });
}
