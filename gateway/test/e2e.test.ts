import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '@shutter/testing';
import type { UsersService } from '@shutter/users';
import type { RunningGateway } from '../src/gateway.ts';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;
let users: UsersService;
let gateway: RunningGateway;
let url: string;
/** The users subgraph's log lines: the request id must reach them. */
const usersLog: string[] = [];

beforeAll(async () => {
  stack = await startStack({ usersLogger: pino({ level: 'debug' }, { write: (line: string) => void usersLog.push(line) }) });
  ({ users, gateway, url } = stack);
});

afterAll(async () => {
  await stack?.close();
});

const AUTH_FIELDS = 'accessToken refreshToken expiresAt user { id username displayName createdAt }';
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { ${AUTH_FIELDS} } }`;
const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${AUTH_FIELDS} } }`;

describe('sign up, log in, refresh, log out through the gateway', () => {
  it('walks a whole session', async () => {
    const signUp = await graphql(url, {
      query: SIGN_UP,
      variables: { input: { username: 'Eve', email: 'eve@example.com', password: 'secret sauce', displayName: 'Eve' } },
    });
    expect(signUp.errors).toBeUndefined();
    const session = signUp.data!.signUp;
    expect(session.user).toMatchObject({ username: 'eve', displayName: 'Eve' });
    expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(new Date(session.user.createdAt).toISOString()).toBe(session.user.createdAt);

    const me = await graphql(url, { query: '{ me { id username } }', token: session.accessToken });
    expect(me.data).toEqual({ me: { id: session.user.id, username: 'eve' } });

    const logIn = await graphql(url, { query: LOG_IN, variables: { input: { usernameOrEmail: 'EVE@example.com', password: 'secret sauce' } } });
    expect(logIn.data!.logIn.user.id).toBe(session.user.id);

    const refreshed = await graphql(url, { query: REFRESH, variables: { token: session.refreshToken } });
    expect(refreshed.errors).toBeUndefined();
    const next = refreshed.data!.refreshSession;
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await graphql(url, { query: '{ me { username } }', token: next.accessToken })).data).toEqual({ me: { username: 'eve' } });

    // The spent token again: refused, and the session (with its newest token) is revoked.
    const reuse = await graphql(url, { query: REFRESH, variables: { token: session.refreshToken } });
    expect(reuse.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSED' });
    expect(reuse.data).toBeNull();
    const afterReuse = await graphql(url, { query: REFRESH, variables: { token: next.refreshToken } });
    expect(afterReuse.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // The log-in's own session lives on until it logs out.
    const logOut = await graphql(url, { query: 'mutation($t: String!) { logOut(refreshToken: $t) }', variables: { t: logIn.data!.logIn.refreshToken } });
    expect(logOut.data).toEqual({ logOut: true });
    const afterLogOut = await graphql(url, { query: REFRESH, variables: { token: logIn.data!.logIn.refreshToken } });
    expect(afterLogOut.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers bad input with the contract codes, never a 500', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ username: 'no', email: 'a@b.co', password: 'password1' }, 'BAD_USER_INPUT'],
      [{ username: 'okname', email: 'nope', password: 'password1' }, 'BAD_USER_INPUT'],
      [{ username: 'okname', email: 'a@b.co', password: 'short' }, 'BAD_USER_INPUT'],
      [{ username: 'eve', email: 'eve2@example.com', password: 'password1' }, 'CONFLICT'],
    ];
    for (const [input, code] of cases) {
      const result = await graphql(url, { query: SIGN_UP, variables: { input } });
      expect(result.status, JSON.stringify(input)).toBe(200);
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe(code);
      expect(JSON.stringify(result.errors)).not.toMatch(/stack|at .*\.ts:/);
    }
    const wrong = await graphql(url, { query: LOG_IN, variables: { input: { usernameOrEmail: 'eve', password: 'not it at all' } } });
    const unknown = await graphql(url, { query: LOG_IN, variables: { input: { usernameOrEmail: 'ghost', password: 'not it at all' } } });
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);

    const missingVariable = await graphql(url, { query: SIGN_UP, variables: { input: { username: 'x' } } });
    expect(missingVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const notGraphQL = await graphql(url, { query: '{ me { nosuchfield } }' });
    expect(notGraphQL.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers a well-formed cursor out of range with BAD_USER_INPUT in every list', async () => {
    const { token } = await stack.signUp('cursor_probe');
    const me = await graphql(url, { query: '{ me { id } }', token });
    const id = me.data!.me.id as string;
    // A time no Date (and no timestamptz we write) holds, and one before 1970.
    const cursors = [[9e15, id], [-1, id], [Number.MAX_SAFE_INTEGER, id]].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url'));
    const lists = [
      'query($id: ID!, $after: String) { user(id: $id) { followers(after: $after) { edges { cursor } } } }',
      'query($id: ID!, $after: String) { user(id: $id) { following(after: $after) { edges { cursor } } } }',
      'query($id: ID!, $after: String) { user(id: $id) { posts(after: $after) { edges { cursor } } } }',
      'query($after: String) { postsByHashtag(tag: "x", after: $after) { edges { cursor } } }',
      'query($after: String) { feed(after: $after) { edges { cursor } } }',
    ];
    for (const query of lists) {
      for (const after of cursors) {
        const result = await graphql(url, { query, variables: { id, after }, token });
        expect(result.errors?.map((e) => e.extensions?.code), query).toEqual(['BAD_USER_INPUT']);
      }
    }
  });

  it('treats a bad or forged token as no viewer, and says so in WWW-Authenticate', async () => {
    const result = await graphql(url, { query: '{ me { id } }', token: 'eyJhbGciOiJFZERTQSJ9.e30.AAAA' });
    expect(result.data).toEqual({ me: null });
    expect(result.headers.get('www-authenticate')).toMatch(/invalid_token/);
    const update = await graphql(url, { query: 'mutation { updateProfile(input: { bio: "hi" }) { id } }', token: 'garbage' });
    expect(update.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('ignores a viewer header sent by a client', async () => {
    const eve = await graphql(url, { query: '{ user(username: "eve") { id } }' });
    const result = await graphql(url, { query: '{ me { id } }', headers: { 'x-viewer-id': eve.data!.user.id } });
    expect(result.data).toEqual({ me: null });
  });
});

describe('the gateway as a server', () => {
  it('the subgraph refuses a direct, unsigned call', async () => {
    const direct = await graphql(`${users.url}/graphql`, { query: '{ me { id } }' });
    expect(direct.status).toBe(401);
  });

  it('carries the request id into the subgraph and back', async () => {
    const result = await graphql(url, { query: '{ me { id } }', headers: { 'x-request-id': 'trace-me-123' } });
    expect(result.headers.get('x-request-id')).toBe('trace-me-123');
    expect(usersLog.some((line) => line.includes('"requestId":"trace-me-123"'))).toBe(true);
  });

  it('blocks a CSRF-able GET without a preflight header, and serves Sandbox outside production', async () => {
    const get = await fetch(`${url}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(get.status).toBe(400);
    const landing = await fetch(url, { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(200);
    expect(await landing.text()).toMatch(/sandbox/i);
  });

  it('applies operation limits (depth, aliases) as validation errors', async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: me { id }`).join(' ');
    const tooMany = await graphql(url, { query: `{ ${aliases} }` });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const deep = `{ __schema { types { ${'fields { type { '.repeat(6)}name${' } }'.repeat(6)} } } }`;
    const tooDeep = await graphql(url, { query: deep });
    expect(tooDeep.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(tooDeep.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('costs a fragment spread as the fields it spreads, and still refuses an expensive operation', async () => {
    // The web client's shape: components' fragments nested three deep under a page of 20.
    const inline = '{ notifications(first: 20) { edges { node { id actor { id username avatar { id variants { url width } } } post { id media { id variants { url width } } } } } } }';
    const spread = `{ notifications(first: 20) { edges { node { ...Row } } } }
      fragment Row on Notification { id actor { ...Person } post { id media { ...Picture } } }
      fragment Person on User { id username avatar { ...Picture } }
      fragment Picture on Image { id variants { url width } }`;
    for (const query of [inline, spread]) {
      const result = await graphql(url, { query });
      expect(result.errors?.map((e) => e.message).join(' ') ?? '').not.toMatch(/cost/i);
    }
    const costly = await graphql(url, { query: '{ feed(first: 100) { edges { node { comments(first: 100) { edges { node { post { comments(first: 100) { edges { node { id } } } } } } } } } } }' });
    expect(costly.errors?.[0]?.message).toMatch(/cost/i);
  });

  it('reports health and readiness', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    // Each dependency with its state (and how long its check took).
    const up = { status: 'up', required: false, ms: expect.any(Number) };
    expect(await ready.json()).toEqual({ status: 'ready', dependencies: { users: up, media: up, 'social-graph': up, feed: up, redis: up } });
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
  });
});
