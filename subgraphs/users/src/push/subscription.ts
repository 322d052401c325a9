/** A browser's PushSubscription, as a WEB_PUSH device's token holds it. */
export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export type SubscriptionCheck = { ok: true; subscription: WebPushSubscription; url: URL } | { ok: false; reason: string };

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * Reads a WEB_PUSH token: the PushSubscription's JSON with an http(s) endpoint and keys that can be
 * encrypted to (RFC 8291 §3.2: p256dh an uncompressed P-256 point, auth at least 16 bytes).
 * Registration refuses a token that fails here; the sender checks the stored one again, since rows
 * registered before this check existed may hold keys nobody can encrypt to.
 */
export function parseWebPushSubscription(token: string): SubscriptionCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    return { ok: false, reason: 'A WEB_PUSH token is the PushSubscription as JSON.' };
  }
  const { endpoint, keys } = (parsed ?? {}) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
  let url: URL | null = null;
  try {
    url = typeof endpoint === 'string' ? new URL(endpoint) : null;
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return { ok: false, reason: 'A WEB_PUSH subscription needs an http(s) endpoint.' };
  const { p256dh, auth } = keys ?? {};
  if (typeof p256dh !== 'string' || typeof auth !== 'string' || !BASE64URL.test(p256dh) || !BASE64URL.test(auth)) {
    return { ok: false, reason: 'A WEB_PUSH subscription needs keys.p256dh and keys.auth (base64url).' };
  }
  const point = Buffer.from(p256dh, 'base64url');
  if (point.length !== 65 || point[0] !== 0x04) return { ok: false, reason: 'keys.p256dh is not an uncompressed P-256 public key.' };
  if (Buffer.from(auth, 'base64url').length < 16) return { ok: false, reason: 'keys.auth is shorter than 16 bytes.' };
  return { ok: true, url, subscription: { endpoint: endpoint as string, keys: { p256dh, auth } } };
}
