import webpush from 'web-push';
import type { PushDeviceRow } from '../db/schema.ts';
import type { PushMessage } from './message.ts';
import { classifyWebPush, type PushSender } from './outcome.ts';
import { parseWebPushSubscription } from './subscription.ts';

export interface VapidDetails {
  subject: string;
  publicKey: string;
  privateKey: string;
}

// How long the push service keeps a message for a device that is offline: a day-old "liked your
// post" is not worth waking a phone for.
const TTL_SECONDS = 24 * 3600;
const TIMEOUT_MS = 10_000;
// A VAPID token is good for up to 24 h (RFC 8292 §2): each push service's is made for 12 h and
// made again an hour before it ends.
const VAPID_TOKEN_SECONDS = 12 * 3600;
const VAPID_RENEW_BEFORE_MS = 3600_000;
const VAPID_AUDIENCES_KEPT = 256;

/**
 * Web Push (RFC 8030) with the payload encrypted for the browser (RFC 8291, aes128gcm) and signed
 * by our VAPID key (RFC 8292). web-push builds the request; we send it with fetch, because its own
 * sender speaks https only (a push service on http://127.0.0.1 in tests and development) and
 * fetch gives every platform the same timeout and the same reading of the answer.
 */
export function createWebPushSender(vapid: VapidDetails, options: { timeoutMs?: number } = {}): PushSender {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  // The VAPID Authorization header per push service (its origin, the token's audience): signing one
  // (ES256) was most of a push's CPU when made for every message, as web-push does by itself.
  const vapidHeaders = new Map<string, { authorization: string; renewAt: number }>();
  const authorizationFor = (endpoint: string): string => {
    const audience = new URL(endpoint).origin;
    const known = vapidHeaders.get(audience);
    if (known && known.renewAt > Date.now()) return known.authorization;
    const expiresAt = Math.floor(Date.now() / 1000) + VAPID_TOKEN_SECONDS;
    const { Authorization: authorization } = webpush.getVapidHeaders(audience, vapid.subject, vapid.publicKey, vapid.privateKey, 'aes128gcm', expiresAt);
    // Audiences come from subscriptions users register (any https origin in production): real push
    // services are a handful, so past a few hundred the map starts again rather than grow.
    if (vapidHeaders.size >= VAPID_AUDIENCES_KEPT) vapidHeaders.clear();
    vapidHeaders.set(audience, { authorization, renewAt: expiresAt * 1000 - VAPID_RENEW_BEFORE_MS });
    return authorization;
  };
  return {
    async send(device: PushDeviceRow, message: PushMessage) {
      const check = parseWebPushSubscription(device.token);
      // Keys we cannot encrypt to never will be (a row from before registration checked them).
      if (!check.ok) return { outcome: 'gone', status: 0, reason: `the stored subscription is unusable: ${check.reason}` };
      const request = webpush.generateRequestDetails(check.subscription, JSON.stringify(message), {
        // Signed here, once per push service (above), rather than by web-push for every message
        // (it signs only with vapidDetails, or a global setVapidDetails, neither of which is used).
        headers: { Authorization: authorizationFor(check.subscription.endpoint) },
        TTL: TTL_SECONDS,
        contentEncoding: 'aes128gcm',
        // A retry after a lost answer replaces the first message at the push service, not doubles it.
        topic: message.data.notificationId.replaceAll('-', ''),
      });
      const headers = Object.fromEntries(
        // fetch computes Content-Length itself; web-push gives numbers where fetch wants strings.
        Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'content-length').map(([name, value]) => [name, String(value)]),
      );
      const response = await fetch(request.endpoint, {
        method: 'POST',
        headers,
        body: request.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text().catch(() => '');
      return classifyWebPush(response.status, response.headers.get('retry-after'), `web push answered ${response.status} ${text.slice(0, 200)}`.trim());
    },
  };
}
