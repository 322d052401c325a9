import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningGateway } from '../src/gateway.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * Each bucket at its edge, through the real gateway with its limits in the real Redis: N allowed,
 * N+1 refused with RATE_LIMITED (HTTP 429, Retry-After, RateLimit headers), and another user or
 * address unaffected. The test's peer is 127.0.0.1, a trusted proxy by default, so X-Forwarded-For
 * says which client each request is.
 */
const LIMITS = { IP: 8, USER: 6, LOG_IN: 3, LOG_IN_ACCOUNT: 4, SIGN_UP: 2, REFRESH_SESSION: 3, CREATE_UPLOAD: 2, WS_CONNECT: 2 };
let stack: Stack;
const gatewayLog: string[] = [];
let nextAddress = 1;
/** A client address no other test uses. */
const freshAddress = () => `198.51.100.${nextAddress++}`;

beforeAll(async () => {
  stack = await startStack({
    gatewayEnv: Object.fromEntries(Object.entries(LIMITS).map(([bucket, points]) => [`RATE_LIMIT_${bucket}`, `${points}/1m`])),
    gatewayLogger: pino({ level: 'warn' }, { write: (line: string) => void gatewayLog.push(line) }),
  });
});
afterAll(async () => {
  await stack?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };
}

async function call(query: string, options: { variables?: Record<string, unknown>; from?: string; token?: string; url?: string } = {}): Promise<Answer> {
  const response = await fetch(options.url ?? stack.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': options.from ?? freshAddress(),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer["body"] };
}

const codes = (answer: Answer) => answer.body.errors?.map((e) => e.extensions?.code) ?? [];

/** The answer to the request that the bucket refused. */
function expectRefused(answer: Answer, bucket: string, windowSeconds = 60) {
  expect(answer.status).toBe(429);
  expect(codes(answer)).toEqual(['RATE_LIMITED']);
  const { retryAfter, buckets } = answer.body.errors![0]!.extensions!;
  expect(buckets).toContain(bucket);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(answer.headers.get('retry-after')).toBe(String(retryAfter));
  expect(answer.headers.get('ratelimit-policy')).toContain(`"${bucket}";q=`);
  expect(answer.headers.get('ratelimit')).toMatch(new RegExp(`"${bucket}";r=0;t=\\d+`));
}

let users = 0;
async function signUp(): Promise<{ id: string; token: string; refreshToken: string; username: string }> {
  const username = `limited_${users++}`;
  const answer = await call('mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }', {
    variables: { input: { username, email: `${username}@example.com`, password: 'password123' } },
  });
  const session = answer.body.data!.signUp;
  return { id: session.user.id, token: session.accessToken, refreshToken: session.refreshToken, username };
}

const LOG_IN = 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }';
const logIn = (usernameOrEmail: string, password: string, from: string) => call(LOG_IN, { variables: { input: { usernameOrEmail, password } }, from });

describe('the per-address bucket (every HTTP operation)', () => {
  it(`allows ${LIMITS.IP} operations a minute from one address, refuses the next, and not another address's`, async () => {
    const from = freshAddress();
    for (let i = 0; i < LIMITS.IP; i++) {
      const answer = await call('{ __typename }', { from });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit')).toContain(`"ip";r=${LIMITS.IP - 1 - i};t=`);
      expect(answer.headers.get('ratelimit-policy')).toBe(`"ip";q=${LIMITS.IP};w=60`);
    }
    expectRefused(await call('{ __typename }', { from }), 'ip');
    expect((await call('{ __typename }', { from: freshAddress() })).status).toBe(200);
  });

  it('counts an IPv6 client by its /64', async () => {
    for (let i = 0; i < LIMITS.IP; i++) expect((await call('{ __typename }', { from: `2001:db8:1:2::${i + 1}` })).status).toBe(200);
    expectRefused(await call('{ __typename }', { from: '2001:db8:1:2:ffff::9' }), 'ip');
    expect((await call('{ __typename }', { from: '2001:db8:1:3::1' })).status).toBe(200);
  });

  it('believes X-Forwarded-For only from a trusted proxy: a client cannot name another address for itself', async () => {
    // The trusted proxy (127.0.0.1) says the client is 203.0.113.7, which says it is someone else:
    // 203.0.113.7 is not a trusted proxy, so it is the client.
    const from = '10.9.9.9, 203.0.113.7';
    for (let i = 0; i < LIMITS.IP; i++) expect((await call('{ __typename }', { from })).status).toBe(200);
    expectRefused(await call('{ __typename }', { from: '10.9.9.10, 203.0.113.7' }), 'ip');
  });
});

describe('the per-user bucket', () => {
  it(`allows ${LIMITS.USER} operations a minute for a user from any addresses, refuses the next, and not another user's`, async () => {
    const [user, other] = [await signUp(), await signUp()];
    for (let i = 0; i < LIMITS.USER; i++) expect((await call('{ me { id } }', { token: user.token })).body.data).toEqual({ me: { id: user.id } });
    expectRefused(await call('{ me { id } }', { token: user.token }), 'user');
    expect((await call('{ me { id } }', { token: other.token })).body.data).toEqual({ me: { id: other.id } });
  });

  it('counts each graphql-ws subscribe too', async () => {
    const user = await signUp();
    // Not lazy: one socket throughout (a lazy client closes it when its last subscription ends).
    const client = createClient({ url: stack.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {}, connectionParams: { authorization: `Bearer ${user.token}` } });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i <= LIMITS.USER; i++) {
        const outcome = await new Promise<string>((resolve) => {
          const stop = client.subscribe(
            { query: 'subscription { notificationAdded { kind } }' },
            { next: () => {}, complete: () => resolve('completed'), error: (e: any) => resolve(Array.isArray(e) ? e[0].extensions.code : String(e)) },
          );
          // A subscription that started is running: end it, so only the rate limit can refuse one.
          setTimeout(() => {
            stop();
            resolve('started');
          }, 150);
        });
        outcomes.push(outcome);
      }
      expect(outcomes.slice(0, LIMITS.USER).every((o) => o === "started" || o === "completed"), outcomes.join()).toBe(true);
      expect(outcomes.at(-1)).toBe('RATE_LIMITED');
    } finally {
      await client.dispose();
    }
  });
});

describe('logIn', () => {
  it(`allows ${LIMITS.LOG_IN} attempts from one address, refuses the next without trying it, and not another address's`, async () => {
    const user = await signUp();
    const from = freshAddress();
    for (let i = 0; i < LIMITS.LOG_IN; i++) expect(codes(await logIn(`nobody_${i}`, 'wrong password', from))).toEqual(['UNAUTHENTICATED']);
    const refused = await logIn(user.username, 'password123', from);
    expectRefused(refused, 'logIn', 60);
    expect(refused.body.data).toBeUndefined();
    expect((await logIn(user.username, 'password123', freshAddress())).body.data.logIn.accessToken).toEqual(expect.any(String));
  });

  it(`allows ${LIMITS.LOG_IN_ACCOUNT} attempts at one account from many addresses, refuses the next, and not another account's`, async () => {
    const [user, other] = [await signUp(), await signUp()];
    for (let i = 0; i < LIMITS.LOG_IN_ACCOUNT; i++) expect(codes(await logIn(user.username, `guess ${i}`, freshAddress()))).toEqual(['UNAUTHENTICATED']);
    // The key is the name as given, trimmed and lower-cased: in capitals it is the same account.
    expectRefused(await logIn(user.username.toUpperCase(), 'password123', freshAddress()), 'logInAccount');
    expect((await logIn(other.username, 'password123', freshAddress())).body.data.logIn.accessToken).toEqual(expect.any(String));
  });

  it('counts every aliased logIn of one operation, and runs none of them when that is too many', async () => {
    const user = await signUp();
    const aliases = Array.from({ length: LIMITS.LOG_IN + 1 }, (_, i) => `a${i}: logIn(input: { usernameOrEmail: "${user.username}", password: "guess ${i}" }) { accessToken }`);
    const answer = await call(`mutation { ${aliases.join(' ')} }`);
    expectRefused(answer, 'logIn');
    expect(answer.body.data).toBeUndefined();
  });
});

describe('signUp, refreshSession and createUpload', () => {
  it(`signUp: ${LIMITS.SIGN_UP} accounts from one address, then refused; another address still can`, async () => {
    const from = freshAddress();
    const signUpFrom = (username: string, address: string) =>
      call('mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }', { variables: { input: { username, email: `${username}@example.com`, password: 'password123' } }, from: address });
    for (let i = 0; i < LIMITS.SIGN_UP; i++) expect((await signUpFrom(`flood_${i}`, from)).body.data.signUp.user.id).toEqual(expect.any(String));
    expectRefused(await signUpFrom('flood_x', from), 'signUp');
    expect((await stack.query({ query: '{ user(username: "flood_x") { id } }' })).data).toEqual({ user: null });
    expect((await signUpFrom('flood_y', freshAddress())).body.data.signUp.user.id).toEqual(expect.any(String));
  });

  it(`refreshSession: ${LIMITS.REFRESH_SESSION} from one address, then refused; another address still can`, async () => {
    const user = await signUp();
    const from = freshAddress();
    const refresh = (token: string, address: string) => call('mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }', { variables: { t: token }, from: address });
    for (let i = 0; i < LIMITS.REFRESH_SESSION; i++) expect(codes(await refresh(`not-a-token-${i}`, from))).toEqual(['UNAUTHENTICATED']);
    expectRefused(await refresh(user.refreshToken, from), 'refreshSession');
    expect((await refresh(user.refreshToken, freshAddress())).body.data.refreshSession.refreshToken).toEqual(expect.any(String));
  });

  it(`createUpload: ${LIMITS.CREATE_UPLOAD} for a user, then refused; another user still can`, async () => {
    const [user, other] = [await signUp(), await signUp()];
    const createUpload = (token: string) =>
      call('mutation { createUpload(input: { contentType: "image/jpeg", byteSize: 1000 }) { id } }', { token });
    for (let i = 0; i < LIMITS.CREATE_UPLOAD; i++) expect((await createUpload(user.token)).body.data.createUpload.id).toEqual(expect.any(String));
    expectRefused(await createUpload(user.token), 'createUpload');
    expect((await createUpload(other.token)).body.data.createUpload.id).toEqual(expect.any(String));
  });
});

describe('WebSocket connects', () => {
  /** Opens a raw socket as `from`; resolves with 'open' or the HTTP status of a refused upgrade. */
  const open = (from: string) =>
    new Promise<{ outcome: string | number; socket: WebSocket; headers?: Record<string, unknown> }>((resolve) => {
      const socket = new WebSocket(stack.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { 'x-forwarded-for': from } });
      socket.once('open', () => resolve({ outcome: 'open', socket }));
      socket.once('unexpected-response', (_req, res) => resolve({ outcome: res.statusCode ?? 0, socket, headers: res.headers }));
      socket.once('error', () => {});
    });

  it(`opens ${LIMITS.WS_CONNECT} sockets a minute from one address, refuses the next upgrade with 429, and not another address's`, async () => {
    const from = freshAddress();
    const opened = [];
    for (let i = 0; i < LIMITS.WS_CONNECT; i++) opened.push(await open(from));
    expect(opened.map((o) => o.outcome)).toEqual(Array(LIMITS.WS_CONNECT).fill('open'));
    const refused = await open(from);
    expect(refused.outcome).toBe(429);
    expect(refused.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(refused.headers?.['ratelimit']).toMatch(/"wsConnect";r=0;t=\d+/);
    const elsewhere = await open(freshAddress());
    expect(elsewhere.outcome).toBe('open');
    for (const { socket } of [...opened, refused, elsewhere]) socket.terminate();
  });

  it(`initialises ${LIMITS.WS_CONNECT} connections a minute for a user, closes the next with 4429, and not another user's`, async () => {
    const [user, other] = [await signUp(), await signUp()];
    const init = async (token: string) => {
      const { socket } = await open(freshAddress());
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      const outcome = await Promise.race([
        once(socket, 'message').then(([data]) => JSON.parse(String(data)).type as string),
        once(socket, 'close').then(([code]) => code as number),
      ]);
      socket.terminate();
      return outcome;
    };
    for (let i = 0; i < LIMITS.WS_CONNECT; i++) expect(await init(user.token)).toBe('connection_ack');
    expect(await init(user.token)).toBe(4429);
    expect(await init(other.token)).toBe('connection_ack');
  });
});

describe('across gateway processes, and without Redis', () => {
  it('is one bucket for every gateway process: what one counted, another refuses', async () => {
    const another = await stack.startAnotherGateway();
    const from = freshAddress();
    for (let i = 0; i < LIMITS.IP; i++) expect((await call('{ __typename }', { from, url: i % 2 ? another.graphqlUrl : stack.url })).status).toBe(200);
    expectRefused(await call('{ __typename }', { from, url: another.graphqlUrl }), 'ip');
    expectRefused(await call('{ __typename }', { from }), 'ip');
  });

  /**
   * Three Redis that cannot answer: a port that refuses connections, one that accepts them and never
   * answers, and the real Redis behind a proxy that stops passing anything on when told to (Redis
   * was ready, then hangs: only the command timeout ends a wait).
   */
  async function brokenRedis() {
    const gone = createServer().listen(0, '127.0.0.1');
    await once(gone, 'listening');
    const refusedPort = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const silent: Server = createServer(() => {}).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const real = new URL(inject('redisUrl'));
    let stalled = false;
    const proxy: Server = createServer((client) => {
      const upstream = connect(Number(real.port || 6379), real.hostname);
      client.on('data', (chunk) => !stalled && upstream.write(chunk));
      upstream.on('data', (chunk) => !stalled && client.write(chunk));
      for (const end of [client, upstream]) end.on('error', () => {}).on('close', () => (end === client ? upstream : client).destroy());
    }).listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    return {
      refused: `redis://127.0.0.1:${refusedPort}`,
      silent: `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      stalling: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      stall: () => (stalled = true),
      close: () => {
        silent.close();
        proxy.close();
      },
    };
  }

  it('without Redis (refused, silent or hanging) the gateway answers at once, limits each process on its own, and says so in its log', async () => {
    const broken = await brokenRedis();
    try {
      for (const redisUrl of [broken.refused, broken.silent, broken.stalling]) {
        gatewayLog.length = 0;
        // Closed with the stack (its shutdown must end too, Redis or not).
        const alone: RunningGateway = await stack.startAnotherGateway({ REDIS_URL: redisUrl, RATE_LIMIT_REDIS_TIMEOUT_MS: '100' });
        if (redisUrl === broken.stalling) {
          // Shared limits while Redis answers; then it hangs.
          expect((await call('{ __typename }', { url: alone.graphqlUrl })).headers.get('ratelimit')).toContain('"ip";r=');
          broken.stall();
        }
        const from = freshAddress();
        const started = performance.now();
        for (let i = 0; i < LIMITS.IP; i++) expect((await call('{ __typename }', { from, url: alone.graphqlUrl })).status, redisUrl).toBe(200);
        expectRefused(await call('{ __typename }', { from, url: alone.graphqlUrl }), 'ip');
        // Nine requests, each waiting at most the command timeout (100 ms), not ioredis's retries.
        expect(performance.now() - started, redisUrl).toBeLessThan(3_000);
        await expect.poll(() => gatewayLog.some((line) => line.includes('rate limits: Redis'))).toBe(true);
      }
    } finally {
      broken.close();
    }
  });
});
