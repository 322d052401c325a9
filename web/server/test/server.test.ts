import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { AUTH_CSRF_HEADER } from '../../shared/auth-api.ts';
import { loadWebConfig } from '../config.ts';
import { startWebServer, type RunningWebServer } from '../server.ts';

const THEME_SCRIPT = "document.documentElement.dataset.theme = 'light';";

/** A build as vite writes it: two pages, hashed assets (with a brotli twin), public files. */
function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shutter-web-dist-'));
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, 'explorer'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><html><head><script>${THEME_SCRIPT}</script></head><body><div id="root"></div><script type="module" src="/assets/app-Ab12Cd34.js"></script></body></html>`);
  writeFileSync(join(dir, 'explorer', 'index.html'), '<!doctype html><html><body><div id="explorer"></div></body></html>');
  const js = 'console.log("app");'.repeat(200);
  writeFileSync(join(dir, 'assets', 'app-Ab12Cd34.js'), js);
  writeFileSync(join(dir, 'assets', 'app-Ab12Cd34.js.br'), brotliCompressSync(js));
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("push", () => {});');
  return dir;
}

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A gateway and a media service that record what reaches them. */
async function fakeUpstream(answer: (seen: Seen) => { status?: number; body: unknown; headers?: Record<string, string> }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      const reply = answer(entry);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket, request) => {
    socket.send(JSON.stringify({ path: request.url, protocol: socket.protocol }));
    socket.on('message', (data) => socket.send(`echo:${String(data)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { seen, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => (sockets.close(), server.closeAllConnections(), server.close(() => resolve()))) };
}

type Upstream = Awaited<ReturnType<typeof fakeUpstream>>;

/** The gateway's answers to the session mutations: good password, bad password, rotating tokens. */
let tokenCounter = 0;
const sessionFields = (refreshToken: string) => ({
  __typename: 'AuthPayload',
  accessToken: `access-${refreshToken}`,
  expiresAt: '2030-01-01T00:00:00.000Z',
  refreshToken,
  user: { __typename: 'User', id: 'u1', username: 'ada' },
});
function gatewayAnswer(seen: Seen) {
  if (!seen.url.startsWith('/api/graphql')) return { status: 404, body: { error: 'wrong path' } };
  const body = JSON.parse(seen.body.toString() || '{}') as { operationName?: string; query?: string; variables?: Record<string, any> };
  const operation = body.query?.match(/mutation (\w+)/)?.[1];
  switch (operation) {
    case 'WebLogIn':
      if (body.variables?.input?.password !== 'right password') {
        return { body: { data: null, errors: [{ message: 'Wrong username, email or password.', extensions: { code: 'UNAUTHENTICATED' } }] } };
      }
      return { body: { data: { __typename: 'Mutation', logIn: sessionFields(`refresh-${++tokenCounter}`) } } };
    case 'WebSignUp':
      return { body: { data: null, errors: [{ message: 'That username is taken.', path: ['signUp'], extensions: { code: 'CONFLICT', field: 'username' } }] } };
    case 'WebRefreshSession': {
      const given = body.variables?.refreshToken as string;
      if (given.startsWith('spent')) return { body: { data: null, errors: [{ message: 'This session has ended; log in again.', extensions: { code: 'UNAUTHENTICATED' } }] } };
      return { body: { data: { __typename: 'Mutation', refreshSession: sessionFields(`refresh-${++tokenCounter}`) } } };
    }
    case 'WebLogOut':
      return { body: { data: { __typename: 'Mutation', logOut: true } } };
    default:
      return { body: { data: { echo: body.query ?? null } }, headers: { 'x-upstream': 'gateway' } };
  }
}

let dist: string;
let gateway: Upstream;
let media: Upstream;
let web: RunningWebServer;
let origin: string;

async function start(env: Record<string, string> = {}) {
  return startWebServer(
    loadWebConfig({
      WEB_PORT: '0',
      WEB_DIST_DIR: dist,
      GATEWAY_URL: `${gateway.url}/api/graphql`,
      MEDIA_URL: `${media.url}/graphql`,
      LOG_LEVEL: 'silent',
      WEB_MAX_UPLOAD_BYTES: String(64 * 1024),
      ...env,
    }),
  );
}

beforeAll(async () => {
  dist = fakeDist();
  gateway = await fakeUpstream(gatewayAnswer);
  media = await fakeUpstream((seen) => ({ body: { received: seen.body.length, url: seen.url } }));
  web = await start();
  origin = web.url;
});

afterAll(async () => {
  await web?.close();
  await gateway?.close();
  await media?.close();
  rmSync(dist, { recursive: true, force: true });
});

beforeEach(() => {
  gateway.seen.length = 0;
  media.seen.length = 0;
});

describe('the built client', () => {
  it('serves index.html revalidated, with a CSP that allows its inline theme script by hash and nothing else inline', async () => {
    const response = await fetch(`${origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy')!;
    const hash = createHash('sha256').update(THEME_SCRIPT).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    // The ETag lets the next load skip the body.
    const again = await fetch(`${origin}/`, { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves hashed assets as immutable, brotli-compressed when the browser takes it', async () => {
    const response = await fetch(`${origin}/assets/app-Ab12Cd34.js`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-encoding')).toBe('br');
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toContain('console.log("app")');
  });

  it('answers client routes with the app, the explorer with its own page and policy, and missing files with 404', async () => {
    const route = await fetch(`${origin}/u/ada/followers`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<div id="root">');
    const explorer = await fetch(`${origin}/explorer`);
    expect(await explorer.text()).toContain('<div id="explorer">');
    expect(explorer.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");
    expect((await fetch(`${origin}/`)).headers.get('content-security-policy')).toContain("style-src 'self';");
    expect((await fetch(`${origin}/assets/app-gone.js`)).status).toBe(404);
    expect((await fetch(`${origin}/favicon.png`)).status).toBe(404);
    expect((await fetch(`${origin}/sw.js`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('never serves a file outside the build', async () => {
    for (const path of ['/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fetc%2fpasswd', '/%00index.html']) {
      const response = await fetch(`${origin}${path}`);
      expect(await response.text()).not.toContain('root:');
    }
  });
});

describe('the proxy', () => {
  it('sends /graphql to the gateway at its own path, with the request id and the client address', async () => {
    const response = await fetch(`${origin}/graphql?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-123' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { echo: '{ me { id } }' } });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-upstream')).toBe('gateway');
    expect(gateway.seen[0]!.url).toBe('/api/graphql?x=1');
    expect(gateway.seen[0]!.headers['x-request-id']).toBe('req-123');
    expect(gateway.seen[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it("drops a browser's trace context: media would continue it into the upload's jobs", async () => {
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', tracestate: 'x=1', baggage: 'k=v' };
    await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...trace }, body: JSON.stringify({ query: '{ me { id } }' }) });
    await fetch(`${origin}/uploads/u1?sig=abc`, { method: 'PUT', headers: trace, body: new Uint8Array(10) });
    for (const seen of [gateway.seen[0]!, media.seen[0]!]) {
      for (const name of Object.keys(trace)) expect(seen.headers[name]).toBeUndefined();
    }
  });

  it('refuses a body over the cap before it reaches the gateway', async () => {
    const response = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(gateway.seen).toHaveLength(0);
  });

  it('streams an upload to media, and refuses one over the cap, chunked or not', async () => {
    const ok = await fetch(`${origin}/uploads/u1?sig=abc`, { method: 'PUT', body: new Uint8Array(50 * 1024) });
    expect(await ok.json()).toEqual({ received: 50 * 1024, url: '/uploads/u1?sig=abc' });
    const big = await fetch(`${origin}/uploads/u2`, { method: 'PUT', body: new Uint8Array(65 * 1024) });
    expect(big.status).toBe(413);
    // Without a Content-Length: counted as it streams.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(10 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${origin}/uploads/u3`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('serves media files with a policy that forbids running them; only GET and HEAD', async () => {
    const file = await fetch(`${origin}/files/ab/cd.webp`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(media.seen.at(-1)!.url).toBe('/files/ab/cd.webp');
    expect((await fetch(`${origin}/files/ab/cd.webp`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${origin}/uploads/u1`, { method: 'POST' })).status).toBe(404);
  });

  it('answers 502 in GraphQL’s shape when the gateway is down', async () => {
    const down = await startWebServer(loadWebConfig({ WEB_PORT: '0', WEB_DIST_DIR: dist, GATEWAY_URL: 'http://127.0.0.1:9/graphql', LOG_LEVEL: 'silent' }));
    try {
      const response = await fetch(`${down.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_GATEWAY' } }] });
    } finally {
      await down.close();
    }
  });

  it('upgrades /graphql to the gateway’s socket (graphql-ws), for this origin only', async () => {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { origin });
    const first = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    expect(JSON.parse(first)).toEqual({ path: '/api/graphql', protocol: 'graphql-transport-ws' });
    socket.send('ping');
    expect(await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))))).toBe('echo:ping');
    socket.close();

    for (const [path, from] of [
      ['/graphql', 'https://evil.example'],
      ['/elsewhere', origin],
    ] as const) {
      const refused = new WebSocket(`${origin.replace('http', 'ws')}${path}`, { origin: from });
      const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(403);
    }
  });
});

/** A request to /auth/* as the SPA sends it. */
const authRequest = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, [AUTH_CSRF_HEADER]: '1', ...headers },
    body: JSON.stringify(body),
  });

const cookieOf = (response: Response) => response.headers.get('set-cookie') ?? '';
const tokenIn = (setCookie: string) => setCookie.match(/shutter_session=([^;]*)/)?.[1] ?? null;

describe('the session endpoints', () => {
  it('logs in: the access token to the page, the refresh token into an HttpOnly cookie only /auth sees', async () => {
    const response = await authRequest('/auth/login', { usernameOrEmail: 'ada', password: 'right password' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, accessToken: expect.stringMatching(/^access-refresh-/), expiresAt: '2030-01-01T00:00:00.000Z', user: { id: 'u1', username: 'ada' } });
    expect(JSON.stringify(body)).not.toContain('"refresh-');
    const cookie = cookieOf(response);
    expect(cookie).toMatch(/^shutter_session=refresh-\d+; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/auth');
    expect(cookie).toContain(`Max-Age=${30 * 86_400}`);
    expect(cookie).not.toContain('Secure');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('passes the gateway’s errors through unchanged (a wrong password, a taken username)', async () => {
    const wrong = await authRequest('/auth/login', { usernameOrEmail: 'ada', password: 'nope' });
    expect(await wrong.json()).toEqual({ ok: false, errors: [{ message: 'Wrong username, email or password.', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(cookieOf(wrong)).toBe('');
    const taken = await authRequest('/auth/signup', { username: 'ada', email: 'a@example.com', password: 'password123' });
    expect(await taken.json()).toEqual({ ok: false, errors: [{ message: 'That username is taken.', path: ['signUp'], extensions: { code: 'CONFLICT', field: 'username' } }] });
  });

  it('sends each mutation as a persisted document: the manifest’s hash of the exact text', async () => {
    await authRequest('/auth/login', { usernameOrEmail: 'ada', password: 'right password' });
    const sent = JSON.parse(gateway.seen[0]!.body.toString()) as { query: string; extensions: { persistedQuery: { version: number; sha256Hash: string } } };
    expect(sent.extensions.persistedQuery.version).toBe(1);
    expect(createHash('sha256').update(sent.query).digest('hex')).toBe(sent.extensions.persistedQuery.sha256Hash);
  });

  it('rotates the cookie on refresh, and clears it when the token is refused', async () => {
    const login = await authRequest('/auth/login', { usernameOrEmail: 'ada', password: 'right password' });
    const first = tokenIn(cookieOf(login))!;
    const refreshed = await authRequest('/auth/refresh', {}, { cookie: `other=1; shutter_session=${first}` });
    expect(await refreshed.json()).toMatchObject({ ok: true, accessToken: expect.any(String) });
    const second = tokenIn(cookieOf(refreshed));
    expect(second).toMatch(/^refresh-/);
    expect(second).not.toBe(first);
    const sentToken = (JSON.parse(gateway.seen.at(-1)!.body.toString()) as { variables: { refreshToken: string } }).variables.refreshToken;
    expect(sentToken).toBe(first);

    const refused = await authRequest('/auth/refresh', {}, { cookie: 'shutter_session=spent-1' });
    expect(await refused.json()).toMatchObject({ ok: false, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(cookieOf(refused)).toMatch(/^shutter_session=; .*Max-Age=0/);

    const none = await authRequest('/auth/refresh', {});
    expect(await none.json()).toMatchObject({ ok: false, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('gives two refreshes of one token at once (two tabs) the same new pair, with one call to the gateway', async () => {
    const login = await authRequest('/auth/login', { usernameOrEmail: 'ada', password: 'right password' });
    const token = tokenIn(cookieOf(login))!;
    gateway.seen.length = 0;
    const [a, b] = await Promise.all([authRequest('/auth/refresh', {}, { cookie: `shutter_session=${token}` }), authRequest('/auth/refresh', {}, { cookie: `shutter_session=${token}` })]);
    expect(tokenIn(cookieOf(a))).toBe(tokenIn(cookieOf(b)));
    expect(((await a.json()) as { accessToken: string }).accessToken).toBe(((await b.json()) as { accessToken: string }).accessToken);
    expect(gateway.seen).toHaveLength(1);
  });

  it('logs out at the gateway and clears the cookie', async () => {
    const response = await authRequest('/auth/logout', {}, { cookie: 'shutter_session=refresh-x' });
    expect(await response.json()).toEqual({ ok: true });
    expect(cookieOf(response)).toMatch(/^shutter_session=; .*Max-Age=0/);
    expect(gateway.seen[0]!.body.toString()).toContain('refresh-x');
  });

  it('refuses what a cross-site page could send: another origin, no Origin, no header, a cross-site fetch, a form', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ origin: 'https://evil.example' }, 403],
      [{ 'sec-fetch-site': 'cross-site' }, 403],
      [{ [AUTH_CSRF_HEADER]: '' }, 403],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ];
    for (const [headers, status] of cases) {
      const response = await authRequest('/auth/login', { usernameOrEmail: 'ada', password: 'right password' }, headers);
      expect(response.status, JSON.stringify(headers)).toBe(status);
      expect(cookieOf(response)).toBe('');
    }
    const noOrigin = await fetch(`${origin}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json', [AUTH_CSRF_HEADER]: '1' }, body: '{}' });
    expect(noOrigin.status).toBe(403);
    expect((await fetch(`${origin}/auth/refresh`)).status).toBe(405);
    expect(gateway.seen).toHaveLength(0);
  });

  it('behind https: a __Secure- cookie marked Secure, HSTS, and only the public origin accepted', async () => {
    const secure = await start({ WEB_PUBLIC_URL: 'https://shutter.example' });
    try {
      const request = (from: string) =>
        fetch(`${secure.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: from, [AUTH_CSRF_HEADER]: '1' },
          body: JSON.stringify({ usernameOrEmail: 'ada', password: 'right password' }),
        });
      const response = await request('https://shutter.example');
      expect(cookieOf(response)).toMatch(/^__Secure-shutter_session=refresh-\d+; .*Secure/);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
      expect((await request(secure.url)).status).toBe(403);
    } finally {
      await secure.close();
    }
  });
});
