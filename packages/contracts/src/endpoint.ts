import { randomUUID } from 'node:crypto';
import { signRequest } from '@shutter/auth';
import { injectTraceContext } from '@shutter/telemetry';
import type { z } from 'zod';

/**
 * One internal API: a path on the owning service, the schema of what the caller sends and the schema
 * of what the owner answers. The owner serves it with `endpointRoute` (packages/service), which
 * checks the request against `request`; the caller uses `callEndpoint`, which checks the answer
 * against `response`. Both sides take their types from these schemas, so they cannot drift apart.
 */
export interface Endpoint<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  path: `/internal/${string}`;
  request: Req;
  response: Res;
}

export const defineEndpoint = <Req extends z.ZodType, Res extends z.ZodType>(endpoint: Endpoint<Req, Res>) => endpoint;

export type EndpointRequest<E extends Endpoint> = z.input<E['request']>;
export type EndpointResponse<E extends Endpoint> = z.output<E['response']>;

/** The owner could not be reached, or did not answer in time: worth a retry, and a clear "unavailable". */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The owner answered, but not with a success: a bug on one side (a 400 says which field). */
export class ServiceCallError extends Error {
  override readonly name = 'ServiceCallError';
  constructor(
    readonly service: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  /** The viewer the call acts for, signed like every request between services. */
  viewerId?: string | null;
  requestId?: string;
  timeoutMs?: number;
}

/** A service's base URL (any URL of it: its /graphql URL as configured) and the shared signing secret. */
export interface ServiceAddress {
  /** Its name, for errors and logs. */
  name: string;
  url: string;
  signingSecret: string;
}

/**
 * Calls an internal endpoint: a signed JSON POST (services refuse anything unsigned), the answer
 * checked against the endpoint's schema. An unreachable or timed-out owner throws
 * ServiceUnavailableError; any other failure ServiceCallError.
 */
export async function callEndpoint<E extends Endpoint>(
  service: ServiceAddress,
  endpoint: E,
  request: EndpointRequest<E>,
  options: CallOptions = {},
): Promise<EndpointResponse<E>> {
  const body = JSON.stringify(request);
  const url = new URL(endpoint.path, service.url);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signRequest(service.signingSecret, { viewerId: options.viewerId ?? null, requestId: options.requestId ?? randomUUID(), body }),
        // The caller's trace goes on in the owner (a subgraph's HTTP server continues it).
        ...injectTraceContext({}),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (cause) {
    throw new ServiceUnavailableError(service.name, `${service.name} could not be reached (${url.host}).`, { cause });
  }
  const text = await response.text().catch((cause: unknown) => {
    throw new ServiceUnavailableError(service.name, `${service.name} broke off its answer.`, { cause });
  });
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    throw new ServiceUnavailableError(service.name, `${service.name} is unavailable (${response.status}).`);
  }
  if (!response.ok) throw new ServiceCallError(service.name, response.status, `${endpoint.path} answered ${response.status}: ${text.slice(0, 300)}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ServiceCallError(service.name, response.status, `${endpoint.path} answered something that is not JSON.`);
  }
  const parsed = endpoint.response.safeParse(json);
  if (!parsed.success) {
    throw new ServiceCallError(service.name, response.status, `${endpoint.path} answered outside its contract: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data as EndpointResponse<E>;
}
