import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherHeaders, FetcherResponse } from '@apollo/utils.fetcher';
import { STATUS_CODES } from 'node:http';
import { Pool } from 'undici';
import { SIGNATURE_HEADERS, signRequest } from '@shutter/auth';
import { GraphQLError } from 'graphql';
import { serviceUnavailable } from '@shutter/service';
import { inSpan, injectTraceContext, SpanKind } from '@shutter/telemetry';
import type { GatewayContext } from './context.ts';

/** How long a subgraph may take to answer one fetch of a query plan. */
const SUBGRAPH_TIMEOUT_MS = 10_000;

/**
 * A subgraph's answer as the gateway reads it (status, a header or two, the body as text or
 * JSON), built straight from undici's: the WHATWG Response and Headers it replaces cost more to
 * construct than everything the gateway then does with them.
 */
class PooledResponse implements FetcherResponse {
  readonly headers: FetcherHeaders;
  readonly redirected = false;
  bodyUsed = false;

  constructor(
    readonly url: string,
    readonly status: number,
    headers: Record<string, string | string[] | undefined>,
    private readonly body: string,
  ) {
    this.headers = new PlainHeaders(headers);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return STATUS_CODES[this.status] ?? '';
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.body;
  }

  async json(): Promise<unknown> {
    this.bodyUsed = true;
    return JSON.parse(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const bytes = Buffer.from(this.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  clone(): FetcherResponse {
    return new PooledResponse(this.url, this.status, Object.fromEntries(this.headers), this.body);
  }
}

/** Response headers by lower-case name (undici gives them so); several values of one joined by ", ". */
class PlainHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();

  constructor(headers: Record<string, string | string[] | undefined>) {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.map.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const present = this.map.get(key);
    this.map.set(key, present === undefined ? value : `${present}, ${value}`);
  }

  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }

  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  values(): IterableIterator<string> {
    return this.map.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

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
      // A client span per call, its context in `traceparent`: the subgraph's server span and
      // everything the call causes there (the jobs its outbox rows become) continue this trace.
      // The signature does not cover the header; only the gateway's signed requests are answered.
      const { response, text } = await inSpan(`subgraph ${name}`, { kind: SpanKind.CLIENT, attributes: { 'shutter.subgraph': name, 'server.address': target.host } }, async (span) => {
        const answer = await pool.request({
          path: pathname + search,
          method: (init?.method ?? 'POST') as 'POST',
          headers: injectTraceContext({ ...headers, ...signature }),
          body,
          // A subgraph that takes longer is as good as down for this request: it is answered without
          // that subgraph's fields (SERVICE_UNAVAILABLE) rather than holding the client.
          headersTimeout: SUBGRAPH_TIMEOUT_MS,
          bodyTimeout: SUBGRAPH_TIMEOUT_MS,
        });
        span.setAttribute('http.response.status_code', answer.statusCode);
        return { response: answer, text: await answer.body.text() };
      });
      return new PooledResponse(requestUrl, response.statusCode, response.headers, text);
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
