import webpush from 'web-push';
import type { PushDeviceRow } from '../db/schema.ts';
import type { PushMessage } from './message.ts';
import { classifyWebPush, type PushSender } from './outcome.ts';

export interface VapidDetails {
  subject: string;
  publicKey: string;
  privateKey: string;
}

// How long the push service keeps a message for a device that is offline: a day-old "liked your
// post" is not worth waking a phone for.
const TTL_SECONDS = 24 * 3600;
const TIMEOUT_MS = 10_000;

/**
 * Web Push (RFC 8030) with the payload encrypted for the browser (RFC 8291, aes128gcm) and signed
 * by our VAPID key (RFC 8292). web-push builds the request; we send it with fetch, because its own
 * sender speaks https only (a push service on http://127.0.0.1 in tests and development) and
 * fetch gives every platform the same timeout and the same reading of the answer.
 */
export function createWebPushSender(vapid: VapidDetails, options: { timeoutMs?: number } = {}): PushSender {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  return {
    async send(device: PushDeviceRow, message: PushMessage) {
      const subscription = parseSubscription(device.token);
      // Registration checks the shape, not the key lengths: keys we cannot encrypt to never will be.
      if (!subscription) return { outcome: 'gone', status: 0, reason: 'the stored subscription has unusable keys' };
      const request = webpush.generateRequestDetails(subscription, JSON.stringify(message), {
        vapidDetails: vapid,
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

/** The stored PushSubscription JSON, if its keys are ones that can be encrypted to. */
function parseSubscription(token: string): webpush.PushSubscription | null {
  let parsed: { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
  try {
    parsed = JSON.parse(token) as typeof parsed;
  } catch {
    return null;
  }
  const { endpoint, keys } = parsed;
  if (typeof endpoint !== 'string' || typeof keys?.p256dh !== 'string' || typeof keys.auth !== 'string') return null;
  const p256dh = Buffer.from(keys.p256dh, 'base64url');
  // An uncompressed P-256 point, and an auth secret of at least 16 bytes (RFC 8291 §3.2).
  if (p256dh.length !== 65 || p256dh[0] !== 0x04 || Buffer.from(keys.auth, 'base64url').length < 16) return null;
  return { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };
}
