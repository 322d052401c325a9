import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@shutter/config';
import { Safelist } from '../src/safelist.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * Trusted documents: with GATEWAY_SAFELIST=1 the gateway runs only the operations of a manifest in
 * the web client's format (GraphQL Codegen's client preset, persistedDocuments: sha256 hex of the
 * text → the text), over HTTP and graphql-ws, while its own hydration of subscription events,
 * which no manifest lists, still runs.
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const DOCUMENTS = {
  signUp: 'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
  me: 'query Viewer { me { id username } }',
  follow: 'mutation Follow($id: ID!) { follow(userId: $id) { id } }',
  live: 'subscription Live { notificationAdded { kind actor { username followerCount } } }',
};
const folder = mkdtempSync(join(tmpdir(), 'shutter-safelist-'));
const manifestPath = join(folder, 'persisted-documents.json');
writeFileSync(manifestPath, JSON.stringify(Object.fromEntries(Object.values(DOCUMENTS).map((text) => [sha256(text), text])), null, 2));

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ gatewayEnv: { GATEWAY_SAFELIST: '1', GATEWAY_SAFELIST_MANIFEST: manifestPath } });
});
afterAll(async () => {
  await stack?.close();
  rmSync(folder, { recursive: true, force: true });
});

const persisted = (text: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(text) } });

async function post(body: Record<string, unknown>, token?: string) {
  const response = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}
const codes = (answer: { body: { errors?: { extensions?: { code?: string } }[] } }) => answer.body.errors?.map((e) => e.extensions?.code);

let users = 0;
async function signUp() {
  const username = `trusted_${users++}`;
  const answer = await post({ query: DOCUMENTS.signUp, variables: { input: { username, email: `${username}@example.com`, password: 'password123' } }, extensions: persisted(DOCUMENTS.signUp) });
  return { id: answer.body.data.signUp.user.id as string, token: answer.body.data.signUp.accessToken as string, username };
}

describe('over HTTP', () => {
  it("runs the manifest's operations, sent as the web client sends them (text and hash), as text alone, or as the hash alone", async () => {
    const user = await signUp();
    const expected = { data: { me: { id: user.id, username: user.username } } };
    expect((await post({ query: DOCUMENTS.me, extensions: persisted(DOCUMENTS.me) }, user.token)).body).toEqual(expected);
    expect((await post({ query: DOCUMENTS.me }, user.token)).body).toEqual(expected);
    expect((await post({ extensions: persisted(DOCUMENTS.me) }, user.token)).body).toEqual(expected);
    const get = await fetch(`${stack.url}?extensions=${encodeURIComponent(JSON.stringify(persisted(DOCUMENTS.me)))}`, {
      headers: { authorization: `Bearer ${user.token}`, 'apollo-require-preflight': 'true' },
    });
    expect(await get.json()).toEqual(expected);
  });

  it('refuses any other document before parsing it: PERSISTED_QUERY_NOT_IN_LIST, whether it would run, not validate or not parse', async () => {
    for (const query of ['{ me { id } }', 'query Viewer { me { id username } } ', '{ nosuchfield }', '{ me { id ', '{ __schema { types { name } } }', 'mutation { logIn(input: { usernameOrEmail: "a", password: "b" }) { accessToken } }']) {
      const answer = await post({ query });
      expect([answer.status, codes(answer)], query).toEqual([400, ['PERSISTED_QUERY_NOT_IN_LIST']]);
      // Nothing about the document itself: no "Cannot query field", no syntax error.
      expect(answer.body.errors?.[0]?.message, query).toMatch(/persisted-documents manifest/);
    }
  });

  it('an unknown hash is PERSISTED_QUERY_NOT_FOUND, and nothing can be registered by sending text with its hash', async () => {
    const other = '{ __typename }';
    expect(codes(await post({ extensions: persisted(other) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(codes(await post({ query: other, extensions: persisted(other) }))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(codes(await post({ extensions: persisted(other) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it("the manifest's text with another document's hash is refused (Apollo checks the text against the hash)", async () => {
    const answer = await post({ query: DOCUMENTS.me, extensions: persisted(DOCUMENTS.follow) });
    expect([answer.status, codes(answer)]).toEqual([400, ['BAD_REQUEST']]);
  });
});

describe('over graphql-ws', () => {
  const socket = (token: string) =>
    createClient({ url: stack.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {}, connectionParams: { authorization: `Bearer ${token}` } });

  it("starts the manifest's subscriptions, by text or by hash alone, and delivers their events (the gateway's own hydration query is exempt)", async () => {
    const [author, byText, byHash] = [await signUp(), await signUp(), await signUp()];
    for (const [reader, payload] of [
      [byText, { query: DOCUMENTS.live, extensions: persisted(DOCUMENTS.live) }],
      [byHash, { query: '', extensions: persisted(DOCUMENTS.live) }],
    ] as const) {
      const client = socket(reader.token);
      try {
        const received = new Promise<any>((resolve, reject) => client.subscribe(payload, { next: resolve, error: reject, complete: () => reject(new Error('completed')) }));
        await expect
          .poll(() => Object.keys(stack.gateway.liveChannels()).some((c) => c.endsWith(`:live:notifications:${reader.id}`)), { timeout: 10_000 })
          .toBe(true);
        expect(codes(await post({ query: DOCUMENTS.follow, variables: { id: reader.id }, extensions: persisted(DOCUMENTS.follow) }, author.token))).toBeUndefined();
        expect(await received).toEqual({ data: { notificationAdded: { kind: 'FOLLOW', actor: { username: author.username, followerCount: 0 } } } });
      } finally {
        await client.dispose();
      }
    }
  });

  it('refuses any other subscription with PERSISTED_QUERY_NOT_IN_LIST, and an unknown hash with PERSISTED_QUERY_NOT_FOUND', async () => {
    const user = await signUp();
    const client = socket(user.token);
    const firstError = (payload: { query: string; extensions?: Record<string, unknown> }) =>
      new Promise<any>((resolve) => client.subscribe(payload, { next: () => resolve('ran'), error: resolve, complete: () => resolve('completed') }));
    try {
      expect((await firstError({ query: 'subscription { notificationAdded { kind } }' }))[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect((await firstError({ query: 'subscription { nope }' }))[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect((await firstError({ query: '', extensions: persisted('subscription { x }') }))[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    } finally {
      await client.dispose();
    }
  });
});

describe('the manifest', () => {
  const write = (name: string, content: string) => {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  };
  const problemsOf = (path: string) => {
    try {
      Safelist.load(path);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.join('\n');
      throw e;
    }
    return 'loaded';
  };

  it('loads the format the web client generates', () => {
    expect(Safelist.load(manifestPath).size).toBe(Object.keys(DOCUMENTS).length);
  });

  it('refuses to start without one, or with one that is not what codegen writes, saying why', () => {
    expect(problemsOf(join(folder, 'missing.json'))).toMatch(/no manifest at .*missing\.json/);
    expect(problemsOf(write('not-json.json', '{'))).toMatch(/is not JSON/);
    expect(problemsOf(write('empty.json', '{}'))).toMatch(/lists no documents/);
    expect(problemsOf(write('bad-key.json', JSON.stringify({ abc: '{ me { id } }' })))).toMatch(/sha256/);
    expect(problemsOf(write('edited.json', JSON.stringify({ [sha256('{ me { id } }')]: '{ me { id username } }' })))).toMatch(/does not hash to it/);
  });
});
