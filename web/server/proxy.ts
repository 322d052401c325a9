import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Transform } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Logger } from '@shutter/service';

/** Where a path of this origin is sent, and how large a body it may carry. */
export interface ProxyRoute {
  /** The upstream origin (scheme, host, port). */
  target: URL;
  /** The path the upstream serves this at (the gateway may not be at /graphql). */
  rewritePath?: (pathname: string) => string;
  maxBodyBytes: number;
  /** Response headers added to what the upstream sends. */
  headers?: Record<string, string>;
}

export interface Proxy {
  web(req: IncomingMessage, res: ServerResponse, route: ProxyRoute, requestId: string, log: Logger): void;
  ws(req: IncomingMessage, socket: Duplex, head: Buffer, route: ProxyRoute, log: Logger): void;
  close(): void;
}

const GATEWAY_ERROR = JSON.stringify({
  errors: [{ message: 'The server behind this page could not be reached; try again in a moment.', extensions: { code: 'BAD_GATEWAY' } }],
});

/**
 * Forwards requests to the gateway and media with http-proxy-3 (the maintained fork of http-proxy,
 * Vite's dev-server proxy): bodies stream through with a size cap, nothing is buffered, an upstream
 * that does not answer in time gets a 504, one that is down a 502, both as GraphQL-shaped JSON.
 */
/**
 * Trace context a browser sends is not ours to continue: media continues the caller's trace (it
 * expects the gateway as caller), so a client's `traceparent` would choose the trace id, and the
 * sampling, of the upload's whole job chain. The gateway starts its own traces anyway.
 */
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'];

function dropTraceContext(req: IncomingMessage): void {
  for (const name of TRACE_HEADERS) delete req.headers[name];
}

export function createProxy(options: { timeoutMs: number }): Proxy {
  const proxy = createProxyServer({
    xfwd: true,
    // The upstream sees the browser's Host, so that it can build URLs of this origin if it wants to.
    changeOrigin: false,
    proxyTimeout: options.timeoutMs,
    ws: true,
  });
  const pending = new WeakMap<IncomingMessage, ClientRequest>();
  const logs = new WeakMap<IncomingMessage, Logger>();
  proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => pending.set(req, proxyReq));

  // One handler for every failure: refused, reset, or timed out (http-proxy-3 destroys the request
  // after proxyTimeout, which surfaces here as a socket hang up).
  proxy.on('error', (err: NodeJS.ErrnoException, req: IncomingMessage, target: ServerResponse | Duplex) => {
    if (!('writeHead' in target)) {
      target.destroy();
      return;
    }
    const res = target;
    const timedOut = err.code === 'ECONNRESET' && !res.headersSent && (err.message.includes('hang up') || err.message.includes('timeout'));
    if (!res.headersSent) {
      res.writeHead(timedOut ? 504 : 502, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(GATEWAY_ERROR);
    } else res.destroy();
    logs.get(req)?.warn({ err: { code: err.code, message: err.message }, url: req.url }, 'proxied request failed');
  });

  return {
    web(req, res, route, requestId, log) {
      logs.set(req, log);
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > route.maxBodyBytes) {
        req.resume();
        res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
        res.end(JSON.stringify({ errors: [{ message: `The request body is larger than ${route.maxBodyBytes} bytes.`, extensions: { code: 'BAD_REQUEST' } }] }));
        return;
      }
      const url = new URL(req.url ?? '/', 'http://web');
      if (route.rewritePath) req.url = route.rewritePath(url.pathname) + url.search;
      req.headers['x-request-id'] = requestId;
      dropTraceContext(req);
      for (const [name, value] of Object.entries(route.headers ?? {})) res.setHeader(name, value);
      // A body without a Content-Length (chunked) is counted as it streams; past the cap the
      // upstream request is dropped and the browser gets 413.
      let seen = 0;
      const limited = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          seen += chunk.length;
          if (seen <= route.maxBodyBytes) return callback(null, chunk);
          pending.get(req)?.destroy();
          if (!res.headersSent) {
            res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
            res.end(JSON.stringify({ errors: [{ message: `The request body is larger than ${route.maxBodyBytes} bytes.`, extensions: { code: 'BAD_REQUEST' } }] }));
          }
          req.unpipe(limited);
          req.resume();
          callback();
        },
      });
      req.pipe(limited);
      proxy.web(req, res, { target: route.target.origin, buffer: limited });
    },
    ws(req, socket, head, route, log) {
      logs.set(req, log);
      const url = new URL(req.url ?? '/', 'http://web');
      if (route.rewritePath) req.url = route.rewritePath(url.pathname) + url.search;
      dropTraceContext(req);
      socket.on('error', () => socket.destroy());
      proxy.ws(req, socket, head, { target: route.target.origin });
    },
    close() {
      proxy.close();
    },
  };
}
