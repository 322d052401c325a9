import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { STATUS_CODES } from 'node:http';
import { Pool } from 'undici';
import { SIGNATURE_HEADERS, signRequest } from '@shutter/auth';
import { GraphQLError } from 'graphql';
import { serviceUnavailable } from '@shutter/service';
import type { GatewayContext } from './context.ts';

/** How long a subgraph may take to answer one fetch of a query plan. */
const SUBGRAPH_TIMEOUT_MS = 10_000;

/**
 * Calls one subgraph. The viewer and the request id go in headers, and the request is signed over
 * those headers and the exact body bytes at the moment of sending, which is why the signing sits in
 * the fetcher rather than in willSendRequest (the body is serialised after it).
 *
 * Requests go through an undici connection pool to the subgraph (kept-alive sockets) rather than
 * the global fetch: the WHATWG fetch machinery was the largest single cost in the gateway's CPU
 * profile, and a nested query makes several of these calls.
 */
export class SignedSubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly pool: Pool;

  constructor(
    /** The subgraph's name in the supergraph: what an answer names when it is unavailable. */
    readonly name: string,
    url: string,
    signingSecret: string,
  ) {
    const target = new URL(url);
    // connectTimeout: a subgraph host that does not answer at all (rather than refusing) fails fast.
    const pool = new Pool(target.origin, { connections: 128, keepAliveTimeout: 30_000, connectTimeout: 2000 });
    const fetcher: Fetcher = async (requestUrl, init) => {
      const headers = { ...(init?.headers ?? {}) } as Record<string, string>;
      const body = typeof init?.body === 'string' ? init.body : '';
      const signature = signRequest(signingSecret, {
        viewerId: headers[SIGNATURE_HEADERS.viewer] ?? null,
        requestId: headers[SIGNATURE_HEADERS.requestId] ?? '',
        body,
      });
      const { pathname, search } = new URL(requestUrl);
      const response = await pool.request({
        path: pathname + search,
        method: (init?.method ?? 'POST') as 'POST',
        headers: { ...headers, ...signature },
        body,
        // A subgraph that takes longer is as good as down for this request: it is answered without
        // that subgraph's fields (SERVICE_UNAVAILABLE) rather than holding the client.
        headersTimeout: SUBGRAPH_TIMEOUT_MS,
        bodyTimeout: SUBGRAPH_TIMEOUT_MS,
      });
      const text = await response.body.text();
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      // A Response cannot carry a body for these statuses (a proxy might answer with one).
      const nullBody = [101, 204, 205, 304].includes(response.statusCode);
      return new Response(nullBody ? null : text, { status: response.statusCode, statusText: STATUS_CODES[response.statusCode] ?? '', headers: responseHeaders });
    };
    super({ url, fetcher });
    this.pool = pool;
  }

  /** Closes the pooled connections once their requests are answered (the gateway's shutdown). */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** Cuts the pooled connections now, requests in flight included (a shutdown past its grace). */
  destroy(): Promise<void> {
    return this.pool.destroy();
  }

  /**
   * The subgraph could not be asked (down, restarting, not answering in time) or a proxy before it
   * said so (502-504): the fields it owes are missing from the answer, which says which part is
   * unavailable (SERVICE_UNAVAILABLE, README "Errors") instead of a bare internal error; what the
   * other subgraphs gave is still answered.
   */
  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): never {
    if (response && ![502, 503, 504].includes(response.status)) throw error;
    if (!response && error instanceof GraphQLError) throw error;
    throw serviceUnavailable(this.name);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    // Anything a client sent is dropped: only what the gateway vouches for reaches a subgraph.
    headers.delete(SIGNATURE_HEADERS.viewer);
    if ('viewerId' in context && context.viewerId) headers.set(SIGNATURE_HEADERS.viewer, context.viewerId);
    if ('requestId' in context && context.requestId) headers.set(SIGNATURE_HEADERS.requestId, context.requestId);
  }
}
