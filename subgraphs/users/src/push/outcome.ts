import type { PushDeviceRow } from '../db/schema.ts';
import type { PushMessage } from './message.ts';

/** One push platform: sends a message to one device and says what came of it. */
export interface PushSender {
  send(device: PushDeviceRow, message: PushMessage): Promise<SendOutcome>;
}

/**
 * What one send to one device came to. The push services answer in HTTP; this is the one place
 * that turns their answers into what the worker does about them.
 */
export type SendOutcome =
  | { outcome: 'delivered'; status: number }
  /** The subscription or token no longer exists: the device row goes. */
  | { outcome: 'gone'; status: number; reason: string }
  /** The service is busy or down: try again later (no sooner than it asked, if it did). */
  | { outcome: 'retry'; status: number; reason: string; retryAfterMs: number | null }
  /** The service refused this request, and would refuse it again: logged, not retried. */
  | { outcome: 'rejected'; status: number; reason: string };

/** Web Push (RFC 8030): 404 and 410 mean the subscription expired or was unsubscribed. */
export function classifyWebPush(status: number, retryAfter: string | null, reason: string): SendOutcome {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if (status === 404 || status === 410) return { outcome: 'gone', status, reason };
  if (status === 429 || status >= 500) return { outcome: 'retry', status, reason, retryAfterMs: parseRetryAfter(retryAfter) };
  return { outcome: 'rejected', status, reason };
}

/**
 * FCM HTTP v1: the reason is in the error's details (`errorCode`), the status says how bad it is.
 * UNREGISTERED (404) is an app uninstalled or a token expired. A 401 is our access token refused
 * (revoked or expired early): the sender drops its cached token, and the retry gets a new one.
 */
export function classifyFcm(status: number, errorCode: string | null, retryAfter: string | null, reason: string): SendOutcome {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if (errorCode === 'UNREGISTERED' || status === 404) return { outcome: 'gone', status, reason };
  const retryable = status === 429 || status >= 500 || (status === 401 && errorCode !== 'THIRD_PARTY_AUTH_ERROR');
  if (retryable) return { outcome: 'retry', status, reason, retryAfterMs: parseRetryAfter(retryAfter) };
  return { outcome: 'rejected', status, reason };
}

/** Thrown by a delivery that should be tried again; BullMQ's backoff reads retryAfterMs. */
export class PushRetryError extends Error {
  override readonly name = 'PushRetryError';
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/** A push service that asks for more than this is not waited for longer (the job's attempts run out anyway). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/**
 * The wait before retry number `attemptsMade` (1 for the first retry): exponential from `baseMs`,
 * half of it random so that the devices of one outage do not all come back in the same
 * millisecond, and never shorter than the push service's Retry-After.
 */
export function retryDelay(attemptsMade: number, baseMs: number, err: unknown, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  const jittered = Math.round(exponential / 2 + (random() * exponential) / 2);
  const asked = err instanceof PushRetryError ? (err.retryAfterMs ?? 0) : 0;
  return Math.max(jittered, asked);
}
