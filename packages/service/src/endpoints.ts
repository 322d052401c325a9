import { ServiceUnavailableError, type Endpoint, type EndpointResponse } from '@shutter/contracts';
import { isDatabaseUnavailable } from '@shutter/db/errors';
import { GraphQLError } from 'graphql';
import type { z } from 'zod';
import { json, type HttpRequest, type HttpResponse } from './http-server.ts';

/** What an internal endpoint's handler gets besides its checked body: who it acts for, and the log. */
export interface EndpointContext {
  viewerId: string | null;
  requestId: string;
  log: HttpRequest['log'];
}

/** A signed internal route of a service: one endpoint of packages/contracts and its handler. */
export interface EndpointRoute {
  path: string;
  handle(request: HttpRequest, viewerId: string | null): Promise<HttpResponse>;
}

/**
 * Serves one contract endpoint: the body is checked against the endpoint's request schema (a bad
 * body is a 400 that says why), and the handler's answer is typed by its response schema. A
 * GraphQLError from the domain code (BAD_USER_INPUT, NOT_FOUND) is a 400 with its message; an
 * unavailable database or service a 503; anything else is a logged 500, which the caller sees as a
 * failed call.
 */
export function endpointRoute<E extends Endpoint>(
  endpoint: E,
  handler: (body: z.output<E['request']>, context: EndpointContext) => Promise<EndpointResponse<E>>,
): EndpointRoute {
  return {
    path: endpoint.path,
    async handle(request, viewerId) {
      let body: unknown;
      try {
        body = JSON.parse(request.body || '{}');
      } catch {
        return json(400, { error: 'the body is not JSON' });
      }
      const parsed = endpoint.request.safeParse(body);
      if (!parsed.success) return json(400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      try {
        return json(200, await handler(parsed.data as z.output<E['request']>, { viewerId, requestId: request.requestId, log: request.log }));
      } catch (err) {
        if (err instanceof GraphQLError) return json(400, { error: err.message, code: err.extensions.code });
        // Its database (or a service it asks) is down: a 503, which the caller's client turns into
        // ServiceUnavailableError (retry later), not a failed call.
        if (isDatabaseUnavailable(err) || err instanceof ServiceUnavailableError) {
          request.log.warn({ err, path: endpoint.path }, 'internal endpoint unavailable');
          return json(503, { error: 'unavailable' });
        }
        request.log.error({ err, path: endpoint.path }, 'internal endpoint failed');
        return json(500, { error: 'internal error' });
      }
    },
  };
}
