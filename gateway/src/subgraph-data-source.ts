import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { SIGNATURE_HEADERS, signRequest } from '@shutter/auth';
import type { GatewayContext } from './context.ts';

/**
 * Calls one subgraph. The viewer and the request id go in headers, and the request is signed over
 * those headers and the exact body bytes at the moment of sending, which is why the signing sits in
 * the fetcher rather than in willSendRequest (the body is serialised after it).
 */
export class SignedSubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, signingSecret: string) {
    const fetcher: Fetcher = async (target, init) => {
      const headers = { ...(init?.headers ?? {}) } as Record<string, string>;
      const signature = signRequest(signingSecret, {
        viewerId: headers[SIGNATURE_HEADERS.viewer] ?? null,
        requestId: headers[SIGNATURE_HEADERS.requestId] ?? '',
        body: typeof init?.body === 'string' ? init.body : '',
      });
      return fetch(target, { method: init?.method ?? 'POST', headers: { ...headers, ...signature }, body: init?.body as string });
    };
    super({ url, fetcher });
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
