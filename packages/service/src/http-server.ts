import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '@shutter/db/errors';
import { contextFrom, inSpan, metricsResponse, ROOT_CONTEXT, SpanKind } from '@shutter/telemetry';

/** One request, with its body read in full (bounded by maxBodyBytes). */
export interface HttpRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  header(name: string): string | undefined;
  body: string;
  /** The peer's address (a proxy's, when one is in front: see the gateway's TRUSTED_PROXIES). */
  remoteAddress: string;
  /** Follows the request from the gateway into the subgraphs and through the logs. */
  requestId: string;
  log: Logger;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | AsyncIterable<string>;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * A handler that takes the raw request and response (uploads streamed with a size cap, files
 * streamed out). It returns false to leave the request to the buffered handler.
 */
export type StreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  context: { url: URL; requestId: string; log: Logger },
) => Promise<boolean>;

export interface HttpServerOptions {
  host?: string;
  port: number;
  logger: Logger;
  handler: HttpHandler;
  /** Bodies above this are refused with 413 before they are buffered. */
  maxBodyBytes?: number;
  /** Takes the request id from this header when it looks like one, else makes one. */
  requestIdHeader?: string;
  /** On close, how long requests in flight may take before their connections are cut. */
  closeGraceMs?: number;
  streamHandler?: StreamHandler;
  /**
   * Which requests continue their caller's trace (its `traceparent` header), by path: a service's
   * signed routes, whose callers are the gateway and each other. Everything else, and everything
   * the gateway (which the public calls) answers, starts a trace of its own, so a client cannot
   * choose the trace id or the sampling of what its request sets going.
   */
  continueTraces?: (path: string) => boolean;
  /** Serve this process's Prometheus metrics on GET /metrics (never proxied to the public: see README, "Observability"). */
  metrics?: boolean;
}

export interface RunningHttpServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A request target as a URL: always a path on this server. `new URL(target, base)` threw on `//`
 * (a 500, and in an 'upgrade' listener an uncaught exception) and read `//host/path` as another
 * host's /path; here `//x/y` is the path //x/y, which no route has.
 */
export function requestUrl(target: string | undefined): URL {
  return new URL(`http://localhost${target?.startsWith('/') ? target : `/${target ?? ''}`}`);
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/** A GraphQL-shaped error body, for answers given before GraphQL runs (401, 413, 500). */
export function graphqlErrorResponse(status: number, code: string, message: string): HttpResponse {
  return json(status, { errors: [{ message, extensions: { code } }] });
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger, handler, maxBodyBytes = 1024 * 1024, requestIdHeader = 'x-request-id', closeGraceMs = 3000 } = options;
  let closing = false;
  // Answers being made: when the server closes, each ends its connection (see close()).
  const inFlight = new Set<ServerResponse>();

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    // Closing: the answer ends its connection, so a client's kept-alive connection (the gateway's
    // pool under traffic) cannot hold the close open by sending request after request on it.
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    const given = req.headers[requestIdHeader];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const log = logger.child({ requestId });
    res.setHeader('x-request-id', requestId);
    if (options.streamHandler) {
      try {
        if (await options.streamHandler(req, res, { url: requestUrl(req.url), requestId, log })) return;
      } catch (err) {
        // Its database down or restarting (an upload PUT during a Postgres restart): a 503 that
        // says to try again, not an internal error.
        const unavailable = isDatabaseUnavailable(err);
        log[unavailable ? 'warn' : 'error']({ err }, 'request failed');
        if (!res.headersSent) {
          res.writeHead(unavailable ? 503 : 500, { 'content-type': 'application/json; charset=utf-8', ...(unavailable ? { 'retry-after': '1' } : {}) });
          res.end(JSON.stringify({ error: unavailable ? 'Unavailable right now; try again shortly.' : 'Internal server error' }));
        } else res.destroy();
        return;
      }
    }
    let response: HttpResponse;
    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBodyBytes) {
        response = graphqlErrorResponse(413, 'BAD_REQUEST', `The request body is larger than ${maxBodyBytes} bytes.`);
        req.resume();
      } else {
        const body = await readBody(req, maxBodyBytes);
        if (body === null) {
          response = graphqlErrorResponse(413, 'BAD_REQUEST', `The request body is larger than ${maxBodyBytes} bytes.`);
        } else {
          const url = requestUrl(req.url);
          response = await handler({
            method: req.method ?? 'GET',
            url,
            headers: req.headers,
            header: (name) => {
              const value = req.headers[name];
              return Array.isArray(value) ? value[0] : value;
            },
            body,
            remoteAddress: req.socket.remoteAddress ?? '',
            requestId,
            log,
          });
        }
      }
    } catch (err) {
      const unavailable = isDatabaseUnavailable(err);
      log[unavailable ? 'warn' : 'error']({ err }, 'request failed');
      response = unavailable
        ? graphqlErrorResponse(503, 'SERVICE_UNAVAILABLE', 'Unavailable right now; try again shortly.')
        : graphqlErrorResponse(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
    res.statusCode = response.status;
    for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
    if (typeof response.body === 'string') {
      res.end(response.body);
    } else {
      for await (const chunk of response.body) res.write(chunk);
      res.end();
    }
    log.debug({ method: req.method, url: req.url, status: response.status, ms: Math.round(performance.now() - started) }, 'request');
  };
  const server = createServer(async (req, res) => {
    const path = requestUrl(req.url).pathname;
    if (options.metrics && path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      const metrics = await metricsResponse();
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(metrics.body);
      return;
    }
    // Probes make no spans: they would be most of a trace store and tell nothing.
    if (path === '/healthz' || path === '/readyz') return serve(req, res);
    const { traceparent, tracestate } = options.continueTraces?.(path) ? req.headers : {};
    await inSpan(
      `HTTP ${req.method ?? 'GET'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path },
        parent: typeof traceparent === 'string' ? contextFrom(traceparent, typeof tracestate === 'string' ? tracestate : undefined) : ROOT_CONTEXT,
      },
      async (span) => {
        await serve(req, res);
        span.setAttribute('http.response.status_code', res.statusCode);
      },
    );
  });
  // Keep-alive longer than common proxies' idle timeouts, so they never reuse a socket we just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests in flight get the grace to finish; past it their connections are cut, so that
        // a stop is bounded however slow a client or a dependency is.
        setTimeout(() => server.closeAllConnections(), closeGraceMs).unref();
      }),
  };
}

function readBody(req: NodeJS.ReadableStream, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
