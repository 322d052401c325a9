import type { Job } from 'bullmq';
import { emitEvents, eventIdFor, parseEventPayload, type EventJob, type QueueName } from '@shutter/events';
import type { Logger } from '@shutter/service';
import { startServiceWorker, type RunningWorker } from '@shutter/service/worker';
import type { UsersConfig } from '../config.ts';
import { usersDatabase } from '../db/index.ts';
import { createPushSenders, deliverPush, planPushDeliveries, type PushSenders } from '../push/delivery.ts';
import { retryDelay } from '../push/outcome.ts';

/** notification.created, from the feed's outbox: one job per batch of notifications (a page of a fan-out). */
export const PUSH_NOTIFICATION_QUEUE = 'users.push-notification' satisfies QueueName;
/** push.requested, from this service's own outbox: one job per device, so that each device is retried on its own. */
export const PUSH_DELIVER_QUEUE = 'users.push-deliver' satisfies QueueName;

type UsersQueue = typeof PUSH_NOTIFICATION_QUEUE | typeof PUSH_DELIVER_QUEUE;

/**
 * The push.requested event (and so the delivery job) of one notification to one device: derived
 * from both, so that the notification handled again (the outbox delivers at least once) requests
 * no second push, for as long as the outbox keeps the row (a day after it is delivered).
 */
export const pushRequestId = (notificationId: string, deviceId: string) => eventIdFor(`push:${notificationId}:${deviceId}`);

/**
 * users' worker: push delivery. A notification's pushes are planned (devices, rendered messages)
 * and written to the outbox, one push.requested per device; the relay makes each a job, which the
 * reconciler re-adds if Redis loses it; each is sent by the push-deliver handler.
 */
export function startUsersWorker(config: UsersConfig, options: { logger?: Logger; senders?: PushSenders } = {}): Promise<RunningWorker> {
  const database = usersDatabase.connect(config.USERS_DATABASE_URL, { max: 4 });
  return startServiceWorker<UsersQueue>({
    name: 'users-worker',
    service: 'users',
    config,
    logger: options.logger,
    database,
    relay: true,
    setup: ({ logger }) => {
      const senders = options.senders ?? createPushSenders(config, logger);
      logger.info({ web: !!senders.WEB_PUSH, fcm: !!senders.FCM }, 'push senders');
      return {
        handlers: {
          [PUSH_NOTIFICATION_QUEUE]: async (job: Job<EventJob>) => {
            const { notifications } = parseEventPayload('notification.created', job.data.payload);
            const deliveries = await planPushDeliveries(database.db, notifications);
            if (deliveries.length > 0) {
              await database.db.transaction((tx) =>
                emitEvents(tx, 'push.requested', deliveries, { idOf: (d) => pushRequestId(d.message.data.notificationId, d.deviceId) }),
              );
            }
            return { devices: deliveries.length };
          },
          [PUSH_DELIVER_QUEUE]: (job: Job<EventJob>) => deliverPush({ db: database.db, senders, log: logger }, parseEventPayload('push.requested', job.data.payload)),
        },
        queueOptions: {
          // Two queries and one insert per notification batch.
          [PUSH_NOTIFICATION_QUEUE]: { concurrency: 4 },
          // Mostly waiting on push services; the 'push' backoff (the event's job options) asks
          // retryDelay, which reads Retry-After.
          [PUSH_DELIVER_QUEUE]: {
            concurrency: config.PUSH_CONCURRENCY,
            settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => retryDelay(attemptsMade, config.PUSH_RETRY_DELAY_MS, err) },
          },
        },
      };
    },
  });
}
