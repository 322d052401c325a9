import { and, eq, sql } from 'drizzle-orm';
import type { EventPayload } from '@shutter/events';
import type { Logger } from '@shutter/service';
import type { UsersConfig } from '../config.ts';
import type { UsersDb } from '../db/index.ts';
import { pushDevices, users, type PushDeviceRow } from '../db/schema.ts';
import { createFcmSender } from './fcm.ts';
import { renderPushMessage, type NotificationCreated } from './message.ts';
import { PushRetryError, type PushSender } from './outcome.ts';
import { createWebPushSender } from './web-push.ts';

/** One push to one device: the push.requested event, the job data of `users.push-deliver`. */
export type PushDelivery = EventPayload<'push.requested'>;

/** The sender of each platform; null where it is not configured (its devices are skipped). */
export type PushSenders = Record<PushDeviceRow['platform'], PushSender | null>;

export function createPushSenders(config: UsersConfig, log: Logger): PushSenders {
  const { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey, FCM_SERVICE_ACCOUNT: account } = config;
  if (!publicKey || !privateKey) log.warn('push: the VAPID key pair (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY) is not set; Web Push devices are skipped');
  if (!account) log.info('push: FCM_SERVICE_ACCOUNT is not set; FCM devices are skipped');
  return {
    WEB_PUSH: publicKey && privateKey ? createWebPushSender({ subject: config.VAPID_SUBJECT, publicKey, privateKey }) : null,
    FCM: account ? createFcmSender(account, { endpoint: config.FCM_ENDPOINT }) : null,
  };
}

/**
 * A batch of notifications' pushes: one per device of each recipient, each with its rendered
 * message. Two queries for the whole batch (the recipients' devices, then the actors' names of
 * those that have one). None for a recipient without a device, or whose actor is gone.
 */
export async function planPushDeliveries(db: UsersDb, notifications: NotificationCreated[]): Promise<PushDelivery[]> {
  const recipients = [...new Set(notifications.map((n) => n.recipientId))];
  const devices = await db
    .select({ id: pushDevices.id, userId: pushDevices.userId })
    .from(pushDevices)
    .where(sql`${pushDevices.userId} = ANY(${sql.param(recipients)}::uuid[])`);
  if (devices.length === 0) return [];
  const devicesByUser = new Map<string, string[]>();
  for (const device of devices) devicesByUser.set(device.userId, [...(devicesByUser.get(device.userId) ?? []), device.id]);
  const reachable = notifications.filter((n) => devicesByUser.has(n.recipientId));
  const actorIds = [...new Set(reachable.map((n) => n.actorId))];
  const actors = await db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(sql`${users.id} = ANY(${sql.param(actorIds)}::uuid[])`);
  const usernames = new Map(actors.map((a) => [a.id, a.username]));
  return reachable.flatMap((notification) => {
    const username = usernames.get(notification.actorId);
    if (!username) return [];
    const message = renderPushMessage(notification, username);
    return (devicesByUser.get(notification.recipientId) ?? []).map((deviceId) => ({ deviceId, recipientId: notification.recipientId, message }));
  });
}

export type DeliveryResult = 'delivered' | 'removed' | 'rejected' | 'skipped';

/**
 * Sends one push, and acts on the answer: a device that no longer exists is removed, a refusal is
 * logged, and a busy or failing push service throws PushRetryError (the job is retried).
 */
export async function deliverPush(deps: { db: UsersDb; senders: PushSenders; log: Logger }, delivery: PushDelivery): Promise<DeliveryResult> {
  const { db, senders, log } = deps;
  const [device] = await db.select().from(pushDevices).where(eq(pushDevices.id, delivery.deviceId));
  // Unregistered since the notification was planned, or registered by someone else since.
  if (!device || device.userId !== delivery.recipientId) return 'skipped';
  const sender = senders[device.platform];
  if (!sender) {
    log.info({ deviceId: device.id, platform: device.platform }, 'push skipped: platform not configured');
    return 'skipped';
  }
  const result = await sender.send(device, delivery.message);
  switch (result.outcome) {
    case 'delivered':
      return 'delivered';
    case 'gone':
      // Only the registration we sent to: if the browser registered again meanwhile (new keys), it stays.
      await db.delete(pushDevices).where(and(eq(pushDevices.id, device.id), eq(pushDevices.token, device.token)));
      log.info({ deviceId: device.id, platform: device.platform, reason: result.reason }, 'push device removed: gone at the push service');
      return 'removed';
    case 'rejected':
      log.warn({ deviceId: device.id, platform: device.platform, reason: result.reason }, 'push refused; not retried');
      return 'rejected';
    case 'retry':
      throw new PushRetryError(`push to device ${device.id}: ${result.reason}`, result.retryAfterMs);
  }
}
