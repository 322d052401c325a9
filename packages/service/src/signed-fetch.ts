import { randomUUID } from 'node:crypto';
import { signRequest } from '@shutter/auth';
import { appError } from './errors.ts';

export interface SignedPostOptions {
  viewerId?: string | null;
  requestId?: string;
  timeoutMs?: number;
}

/**
 * POSTs JSON to another service with the gateway's signature (services refuse anything unsigned),
 * and returns the parsed answer. An unreachable service or a non-2xx answer throws; the caller's
 * GraphQL error formatter masks it, and a job's retry picks it up.
 */
export async function signedPostJson<T>(url: string, secret: string, payload: unknown, options: SignedPostOptions = {}): Promise<T> {
  const body = JSON.stringify(payload);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signRequest(secret, { viewerId: options.viewerId ?? null, requestId: options.requestId ?? randomUUID(), body }),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (cause) {
    throw appError('INTERNAL_SERVER_ERROR', `${new URL(url).host} could not be reached.`, { cause: String(cause) });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}
