import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createLogger, json, startHttpServer, type Logger, type RunningHttpServer } from '@shutter/service';
import { createAuthHandler } from './auth.ts';
import type { WebConfig } from './config.ts';
import { createProxy, type ProxyRoute } from './proxy.ts';
import { baseHeaders, FILE_HEADERS, pageHeaders, type SecurityOptions } from './security-headers.ts';
import { createStaticFiles } from './static-files.ts';

export type RunningWebServer = RunningHttpServer;

/**
 * The browser's one origin: the built client, /auth/* (the session, with the refresh token in an
 * HttpOnly cookie), /graphql to the gateway (HTTP and the graphql-ws upgrade), and media's public
 * /uploads/* (PUT) and /files/* (GET, HEAD). No CORS anywhere: nothing else is reachable.
 */
export async function startWebServer(config: WebConfig, options: { logger?: Logger } = {}): Promise<RunningWebServer> {
  const logger = options.logger ?? createLogger('web', config.LOG_LEVEL);
  const files = createStaticFiles(config.WEB_DIST_DIR);
  const publicUrl = config.WEB_PUBLIC_URL ? new URL(config.WEB_PUBLIC_URL) : null;
  const security: SecurityOptions = { mediaOrigins: config.WEB_MEDIA_ORIGINS, https: publicUrl?.protocol === 'https:' };
  const auth = createAuthHandler({
    gatewayUrl: config.GATEWAY_URL,
    publicOrigin: publicUrl?.origin ?? null,
    secureCookie: security.https,
    cookieMaxAgeSeconds: config.REFRESH_TOKEN_TTL_DAYS * 86_400,
  });
  const proxy = createProxy({ timeoutMs: config.WEB_PROXY_TIMEOUT_MS });
  const gateway = new URL(config.GATEWAY_URL);
  const graphqlRoute: ProxyRoute = {
    target: gateway,
    rewritePath: () => gateway.pathname,
    maxBodyBytes: config.WEB_MAX_GRAPHQL_BYTES,
    headers: { ...baseHeaders(security), 'cache-control': 'no-store' },
  };
  const media = new URL(config.MEDIA_URL);
  const uploadRoute: ProxyRoute = { target: media, maxBodyBytes: config.WEB_MAX_UPLOAD_BYTES, headers: baseHeaders(security) };
  const fileRoute: ProxyRoute = { target: media, maxBodyBytes: 0, headers: { ...baseHeaders(security), ...FILE_HEADERS } };

  const http = await startHttpServer({
    host: config.WEB_HOST,
    port: config.WEB_PORT,
    logger,
    // Everything is answered by the stream handler; this one only sees what it leaves.
    handler: async () => json(404, { error: 'not found' }, baseHeaders(security)),
    streamHandler: async (req, res, { url, requestId, log }) => {
      const path = url.pathname;
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ status: 'ok' }));
        return true;
      }
      if (path === '/graphql') {
        proxy.web(req, res, graphqlRoute, requestId, log);
        return true;
      }
      if (path.startsWith('/auth/')) {
        for (const [name, value] of Object.entries(baseHeaders(security))) res.setHeader(name, value);
        return auth(req, res, path, requestId, log);
      }
      if (req.method === 'PUT' && /^\/uploads\/[^/]+$/.test(path)) {
        proxy.web(req, res, uploadRoute, requestId, log);
        return true;
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith('/files/')) {
        proxy.web(req, res, fileRoute, requestId, log);
        return true;
      }
      return files.serve(req, res, path, (page, hashes) => pageHeaders(page, security, hashes));
    },
  });

  // graphql-ws: the upgrade of /graphql goes to the gateway; the socket carries the access token in
  // its connection parameters, never a cookie. A page of another origin may not open one here.
  const sockets = new Set<Duplex>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://web');
    const origin = req.headers.origin;
    const host = req.headers.host;
    const sameOrigin = !origin || (publicUrl ? origin === publicUrl.origin : origin === `http://${host}` || origin === `https://${host}`);
    if (url.pathname !== '/graphql' || !sameOrigin) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    proxy.ws(req, socket, head, graphqlRoute, logger);
  };
  http.server.on('upgrade', onUpgrade);

  logger.info({ url: http.url, gateway: config.GATEWAY_URL, media: media.origin }, 'web listening');
  return {
    ...http,
    close: async () => {
      http.server.off('upgrade', onUpgrade);
      proxy.close();
      // An upgraded socket is no longer the HTTP server's: the open graphql-ws ones end here (their
      // clients reconnect), so that closing does not wait for them.
      for (const socket of sockets) socket.destroy();
      await http.close();
    },
  };
}
