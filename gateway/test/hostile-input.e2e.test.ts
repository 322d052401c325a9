import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { auditServer } from 'graphql-http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedGraphql } from '@shutter/testing';
import { OPERATION_LIMITS } from '../src/gateway.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * Bad input as a hostile client sends it, through the real gateway and subgraphs: every answer is a
 * 4xx or a GraphQL error with a contract code, never a 5xx or INTERNAL_SERVER_ERROR.
 */
let stack: Stack;
let victim: { id: string; token: string };

beforeAll(async () => {
  stack = await startStack();
  victim = await stack.signUp('hostile_victim');
});
afterAll(async () => {
  await stack?.close();
});

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, body: JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}
const codes = (answer: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => answer.body.errors?.map((e) => e.extensions?.code);

describe('documents that do not parse or validate', () => {
  it('a syntax error is GRAPHQL_PARSE_FAILED: 400 as application/graphql-response+json, 200 as application/json', async () => {
    for (const query of ['{ me { id ', '{ me { id } } }', 'query {', '{ user(username: "\\x") { id } }', '\u00a0']) {
      const modern = await post({ query }, { accept: GRAPHQL_RESPONSE });
      expect([modern.status, codes(modern)], query).toEqual([400, ['GRAPHQL_PARSE_FAILED']]);
      expect(modern.type).toMatch(/^application\/graphql-response\+json/);
      const legacy = await post({ query }, { accept: 'application/json' });
      expect([legacy.status, codes(legacy)], query).toEqual([200, ['GRAPHQL_PARSE_FAILED']]);
    }
  });

  it('past the token limit is a parse failure too (graphql-js maxTokens), and the limit still holds', async () => {
    const justUnder = `{ ${'__typename '.repeat(OPERATION_LIMITS.maxTokens - 2)}}`;
    // Parsed (what it then fails, here the validation of 3,000 fields, is not the parser's limit).
    expect(codes(await post({ query: justUnder }, { accept: GRAPHQL_RESPONSE }))).not.toContain('GRAPHQL_PARSE_FAILED');
    const over = await post({ query: `{ ${'__typename '.repeat(OPERATION_LIMITS.maxTokens)}}` }, { accept: GRAPHQL_RESPONSE });
    expect([over.status, codes(over)]).toEqual([400, ['GRAPHQL_PARSE_FAILED']]);
    expect(over.body.errors?.[0]?.message).toMatch(/more that 3000 tokens|token/i);
  });

  it('a validation failure is GRAPHQL_VALIDATION_FAILED: 400, or 200 as application/json', async () => {
    const modern = await post({ query: '{ nope }' }, { accept: GRAPHQL_RESPONSE });
    expect([modern.status, codes(modern)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    const legacy = await post({ query: '{ nope }' });
    expect([legacy.status, codes(legacy)]).toEqual([200, ['GRAPHQL_VALIDATION_FAILED']]);
  });
});

describe('strings that may not enter', () => {
  const USER = 'query($u: String) { user(username: $u) { id } }';
  const cases: [string, unknown][] = [
    ['a NUL in a literal', { query: '{ user(username: "\\u0000") { id } }' }],
    ['a NUL in a variable', { query: USER, variables: { u: 'a\u0000b' } }],
    ['a NUL in a nested input', { query: 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', variables: { i: { bio: 'x\u0000' } } }],
    ['a NUL in a search', { query: '{ searchUsers(query: "a\\u0000") { id } }' }],
    ['a NUL in a hashtag', { query: '{ postsByHashtag(tag: "x\\u0000") { edges { cursor } } }' }],
    ['a NUL in a log-in', { query: 'mutation { logIn(input: { usernameOrEmail: "x\\u0000", password: "abcdefghi" }) { accessToken } }' }],
    ['a lone surrogate in a variable', '{"query":"query($u: String) { user(username: $u) { id } }","variables":{"u":"\\ud800"}}'],
    ['a lone low surrogate in a nested input', '{"query":"mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }","variables":{"i":{"displayName":"a\\udc00"}}}'],
    ['an over-long variable', { query: USER, variables: { u: 'a'.repeat(200_000) } }],
  ];
  for (const [name, body] of cases) {
    it(`${name}: BAD_USER_INPUT, nothing stored`, async () => {
      const answer = await post(body, { authorization: `Bearer ${victim.token}`, accept: GRAPHQL_RESPONSE });
      expect([answer.status, codes(answer)]).toEqual([400, ['BAD_USER_INPUT']]);
      expect(answer.body.errors?.[0]?.extensions?.field).toMatch(/^\$?[a-zA-Z]/);
    });
  }

  it('a lone surrogate in a literal does not even parse (graphql-js refuses it)', async () => {
    const answer = await post('{"query":"{ searchUsers(query: \\"\\ud800x\\") { id } }"}', { accept: GRAPHQL_RESPONSE });
    expect([answer.status, codes(answer)]).toEqual([400, ['GRAPHQL_PARSE_FAILED']]);
  });

  it('leaves the victim as they were', async () => {
    const me = await stack.query({ query: '{ me { username displayName bio } }', token: victim.token });
    expect(me.data).toEqual({ me: { username: 'hostile_victim', displayName: null, bio: null } });
  });

  it('a subgraph reached directly (signed) says BAD_USER_INPUT too, not a database error', async () => {
    for (const [query, variables] of [
      ['query($u: String) { user(username: $u) { id } }', { u: '\u0000' }],
      ['query($q: String!) { searchUsers(query: $q) { id } }', { q: 'a\ud800' }],
      ['mutation { updateProfile(input: { bio: "\\u0000" }) { id } }', {}],
    ] as const) {
      const answer = await signedGraphql(`${stack.users.url}/graphql`, stack.secrets.GATEWAY_SIGNING_SECRET, { query, variables, viewerId: victim.id });
      expect(answer.status, query).toBeLessThan(500);
      expect(answer.errors?.map((e) => e.extensions?.code), query).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('over graphql-ws: the same parse, validation and string checks, with their codes', async () => {
    const client = createClient({ url: stack.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${victim.token}` } });
    const firstError = (query: string, variables: Record<string, unknown> = {}) =>
      new Promise<any>((resolve) => client.subscribe({ query, variables }, { next: () => {}, error: resolve, complete: () => resolve(null) }));
    try {
      expect((await firstError('subscription { notificationAdded { kind '))[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      expect((await firstError(`subscription { notificationAdded { ${'kind '.repeat(OPERATION_LIMITS.maxTokens)} } }`))[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      expect((await firstError('subscription { notificationAdded { nope } }'))[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const bad = await firstError('subscription($x: String) { notificationAdded { post { comments(after: $x) { edges { cursor } } } } }', { x: '\u0000' });
      expect(bad[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: '$x' });
    } finally {
      await client.dispose();
    }
  });
});

describe('graphql-ws protocol violations', () => {
  /** Opens a socket, sends `messages`, and resolves with the code the server closes it with. */
  async function closeCodeAfter(messages: (string | Buffer)[]) {
    const socket = new WebSocket(stack.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await Promise.race([new Promise((resolve) => socket.once('open', resolve)), closed]);
    for (const m of messages) if (socket.readyState === socket.OPEN) socket.send(m);
    return closed;
  }
  const init = () => JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${victim.token}` } });

  it('an upgrade to `//` is turned away, and the gateway goes on (it threw in the upgrade listener)', async () => {
    const { port } = new URL(stack.url);
    const raw = connect(Number(port), '127.0.0.1');
    raw.on('error', () => {});
    raw.write('GET // HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await once(raw, 'close');
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
  });

  it("a message only a server sends is a bad request (4400), not graphql-ws's 4500 internal error", async () => {
    for (const type of ['connection_ack', 'next', 'error']) expect(await closeCodeAfter([init(), JSON.stringify({ type, id: '1', payload: {} })]), type).toBe(4400);
  });

  it('not JSON, or no type: 4400; a frame over 64 KiB: 1009; a second connection_init: 4429', async () => {
    expect(await closeCodeAfter(['{nope'])).toBe(4400);
    expect(await closeCodeAfter([JSON.stringify({ hello: 1 })])).toBe(4400);
    expect(await closeCodeAfter([init(), 'x'.repeat(65 * 1024)])).toBe(1009);
    expect(await closeCodeAfter([init(), init()])).toBe(4429);
  });
});

describe("media's public routes", () => {
  it('a file path with a malformed escape is not found (was a 500), and so is one outside the images', async () => {
    for (const path of ['/files/%E0%A4%A', '/files/%', '/files/images/%2e%2e/%2e%2e/originals/x', '/files/originals/00000000-0000-0000-0000-000000000000']) {
      expect((await fetch(`${stack.media.url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('automatic persisted queries', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const apq = (sha256Hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });

  it('an unknown hash alone is PERSISTED_QUERY_NOT_FOUND (the client then sends the text)', async () => {
    const answer = await post({ extensions: apq('a'.repeat(64)) });
    expect([answer.status, codes(answer)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
  });

  it('a hash that does not match its text, a version other than 1, or no object is BAD_REQUEST (was a masked INTERNAL_SERVER_ERROR)', async () => {
    for (const extensions of [apq('a'.repeat(64)), apq(sha('{ me { id } }'), 2), apq(sha('{ me { id } }'), undefined), { persistedQuery: 'yes' }]) {
      const answer = await post({ query: '{ __typename }', extensions });
      expect([answer.status, codes(answer)], JSON.stringify(extensions)).toEqual([400, ['BAD_REQUEST']]);
      expect(answer.body.errors?.[0]?.message).not.toBe('Internal server error');
    }
  });

  it('the text and its hash register it; the hash alone then runs it', async () => {
    const query = '{ __typename }';
    expect((await post({ query, extensions: apq(sha(query)) })).body).toEqual({ data: { __typename: 'Query' } });
    expect((await post({ extensions: apq(sha(query)) })).body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('GraphQL over HTTP (graphql-http audit)', () => {
  /**
   * The MAY audits that fail, and why: all three are GETs without a preflight header, which
   * csrfPrevention refuses (a GET a browser may send cross-site must not run an operation).
   */
  const MAY_REFUSED_BY_CSRF_PREVENTION = ['5A70', 'D6D5', '6A70'];

  it('passes every MUST and every SHOULD', async () => {
    const results = await auditServer({ url: stack.url });
    const failing = results.filter((r) => r.status !== 'ok');
    const describe = (r: (typeof results)[number]) => `${r.id} ${r.name}${'reason' in r ? `: ${r.reason}` : ''}`;
    expect(failing.filter((r) => !r.name.startsWith('MAY')).map(describe)).toEqual([]);
    expect(failing.map((r) => r.id).sort()).toEqual([...MAY_REFUSED_BY_CSRF_PREVENTION].sort());
    // The audit is all there: 13 MUST, 23 SHOULD, 25 MAY in graphql-http 1.23.
    expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThanOrEqual(13);
    expect(results.filter((r) => r.name.startsWith('SHOULD')).length).toBeGreaterThanOrEqual(23);
  });
});
