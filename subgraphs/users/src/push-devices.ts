import { and, eq, sql } from 'drizzle-orm';
import { badUserInput } from '@shutter/service';
import type { UsersDb } from './db/index.ts';
import { pushDevices, type PushDeviceRow } from './db/schema.ts';
import { isId, newId } from '@shutter/db';
import { parseWebPushSubscription } from './push/subscription.ts';

export type PushPlatform = PushDeviceRow['platform'];

const MAX_TOKEN_LENGTH = 4096;

export interface PushEndpointPolicy {
  /**
   * The worker POSTs to whatever endpoint a user registers, so in production only https to a
   * named host is taken (browsers' push services are all such), never plain http or an IP
   * literal, which would let anyone aim the worker at internal addresses. Off for development and
   * tests, whose push services run on 127.0.0.1.
   */
  publicHttpsOnly: boolean;
}

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

/** The part of a device registration that identifies the device: Web Push's endpoint, FCM's token. */
function deviceEndpoint(platform: PushPlatform, token: string, policy: PushEndpointPolicy): string {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw badUserInput(`A device token is 1 to ${MAX_TOKEN_LENGTH} characters.`, 'token');
  }
  if (platform === 'FCM') {
    if (/\s/.test(token)) throw badUserInput('An FCM registration token has no spaces.', 'token');
    return token;
  }
  const check = parseWebPushSubscription(token);
  if (!check.ok) throw badUserInput(check.reason, 'token');
  const { url } = check;
  if (policy.publicHttpsOnly && (url.protocol !== 'https:' || IP_LITERAL.test(url.hostname) || url.hostname === 'localhost')) {
    throw badUserInput("A WEB_PUSH endpoint must be https on a push service's host name.", 'token');
  }
  return url.href;
}

/**
 * Registers a device for push. A device registered again (the same browser after another user
 * logs in) moves to the current user: it belongs to whoever last registered it.
 */
export async function registerPushDevice(
  db: UsersDb,
  userId: string,
  platform: PushPlatform,
  token: string,
  policy: PushEndpointPolicy = { publicHttpsOnly: false },
): Promise<PushDeviceRow> {
  const endpoint = deviceEndpoint(platform, token.trim(), policy);
  const [row] = await db
    .insert(pushDevices)
    .values({ id: newId(), userId, platform, token: token.trim(), endpoint })
    .onConflictDoUpdate({
      target: [pushDevices.platform, pushDevices.endpoint],
      set: { userId, token: token.trim(), createdAt: sql`now()` },
    })
    .returning();
  return row as PushDeviceRow;
}

/** Removes one of the user's devices; false when it is not theirs or not there (idempotent). */
export async function unregisterPushDevice(db: UsersDb, userId: string, deviceId: string): Promise<boolean> {
  if (!isId(deviceId)) return false;
  const deleted = await db
    .delete(pushDevices)
    .where(and(eq(pushDevices.id, deviceId), eq(pushDevices.userId, userId)))
    .returning({ id: pushDevices.id });
  return deleted.length > 0;
}
