import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { ServiceAccount } from '../config.ts';
import type { PushDeviceRow } from '../db/schema.ts';
import type { PushMessage } from './message.ts';
import { classifyFcm, parseRetryAfter, PushRetryError, type PushSender } from './outcome.ts';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TIMEOUT_MS = 10_000;
// A new access token is asked for this long before the cached one expires: clock skew, and sends
// already on their way with the old one.
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface FcmSender extends PushSender {
  /** How many token exchanges it has made (the cache's effect, for tests and logs). */
  readonly tokenExchanges: number;
}

/**
 * FCM HTTP v1. Each send carries an OAuth2 access token, got by signing a JWT with the service
 * account's key (RS256) and exchanging it at the account's token_uri; the token is cached until
 * shortly before it expires, and concurrent sends share one exchange.
 */
export function createFcmSender(account: ServiceAccount, options: { endpoint: string; timeoutMs?: number }): FcmSender {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const sendUrl = `${options.endpoint.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(account.project_id)}/messages:send`;
  let signingKey: Promise<CryptoKey> | null = null;
  let cached: { token: string; refreshAt: number } | null = null;
  let pending: Promise<string> | null = null;
  let tokenExchanges = 0;

  async function exchange(): Promise<{ token: string; refreshAt: number }> {
    signingKey ??= importPKCS8(account.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      // kid names which of the account's keys signed, as Google's own clients send it.
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(account.private_key_id ? { kid: account.private_key_id } : {}) })
      .setIssuer(account.client_email)
      .setAudience(account.token_uri)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await signingKey);
    tokenExchanges += 1;
    const response = await fetch(account.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      // A refusal (400 invalid_grant) is a revoked key or a skewed clock more often than an outage;
      // the retries cost little, and the failed jobs then show the answer.
      throw new PushRetryError(
        `FCM: the token exchange at ${account.token_uri} answered ${response.status} ${text.slice(0, 200)}`.trim(),
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    const body = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new Error(`FCM: the token exchange at ${account.token_uri} returned no access_token`);
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    return { token: body.access_token, refreshAt: Date.now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) };
  }

  function accessToken(): Promise<string> {
    if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
    pending ??= exchange()
      .then((fresh) => {
        cached = fresh;
        return fresh.token;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  }

  return {
    get tokenExchanges() {
      return tokenExchanges;
    },
    async send(device: PushDeviceRow, message: PushMessage) {
      const token = await accessToken();
      const response = await fetch(sendUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          message: { token: device.token, notification: { title: message.title, body: message.body }, data: stringData(message.data) },
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { outcome: 'delivered', status: response.status };
      const errorCode = fcmErrorCode(text);
      if (response.status === 401 && cached?.token === token) cached = null;
      return classifyFcm(
        response.status,
        errorCode,
        response.headers.get('retry-after'),
        `FCM answered ${response.status}${errorCode ? ` ${errorCode}` : ''} ${text.slice(0, 200)}`.trim(),
      );
    },
  };
}

/** FCM's data is a map of strings: nulls are left out rather than sent as "null". */
function stringData(data: PushMessage['data']): Record<string, string> {
  return Object.fromEntries(Object.entries(data).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** The FcmError detail's errorCode (UNREGISTERED, INVALID_ARGUMENT, ...) of an error answer. */
function fcmErrorCode(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { details?: { '@type'?: unknown; errorCode?: unknown }[] } };
    const detail = body.error?.details?.find((d) => String(d['@type']).endsWith('google.firebase.fcm.v1.FcmError'));
    return typeof detail?.errorCode === 'string' ? detail.errorCode : null;
  } catch {
    return null;
  }
}
