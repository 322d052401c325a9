import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, newTestVapidKeys, signedGraphql, type TestDatabase } from '@shutter/testing';
import { startUsersService, type UsersService } from '../src/service.ts';
import { createUsersTestConfig } from './helpers.ts';

let database: TestDatabase;
let service: UsersService;
let url: string;
let secret: string;
let config: Awaited<ReturnType<typeof createUsersTestConfig>>['config'];
const queries: string[] = [];

beforeAll(async () => {
  const setup = await createUsersTestConfig();
  database = setup.database;
  secret = setup.secrets.GATEWAY_SIGNING_SECRET;
  config = setup.config;
  service = await startUsersService(setup.config, { database: { onQuery: (query) => queries.push(query) } });
  url = `${service.url}/graphql`;
});

afterAll(async () => {
  await service?.close();
  await database?.drop();
});

const call = (query: string, variables?: Record<string, unknown>, viewerId?: string | null) =>
  signedGraphql(url, secret, { query, variables, viewerId });

async function signUp(username: string, displayName?: string) {
  const result = await call(
    'mutation($input: SignUpInput!) { signUp(input: $input) { user { id username } } }',
    { input: { username, email: `${username}@example.com`, password: 'password123', displayName } },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.signUp.user as { id: string; username: string };
}

describe('the signature', () => {
  it('refuses an unsigned request with 401', async () => {
    const result = await graphql(url, { query: '{ me { id } }' });
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a request signed with another secret, or with a viewer header added after signing', async () => {
    const forged = await signedGraphql(url, 'x'.repeat(43), { query: '{ me { id } }' });
    expect(forged.status).toBe(401);
    const user = await signUp('victim');
    const body = { query: '{ me { id } }' };
    const { signRequest } = await import('@shutter/auth');
    const headers = signRequest(secret, { viewerId: null, requestId: 'r1', body: JSON.stringify(body) });
    const tampered = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, 'x-viewer-id': user.id },
      body: JSON.stringify(body),
    });
    expect(tampered.status).toBe(401);
  });

  it('leaves health probes open', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });
});

describe('User entity', () => {
  it('resolves a whole _entities batch with one SQL query', async () => {
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => signUp(`batch_${i}`)));
    const representations = [
      ...created.map(({ id }) => ({ __typename: 'User', id })),
      { __typename: 'User', id: '00000000-0000-7000-8000-000000000000' },
      { __typename: 'User', id: 'not-a-uuid' },
    ];
    queries.length = 0;
    const result = await call(
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id username } } }',
      { representations },
    );
    expect(result.errors).toBeUndefined();
    const entities = result.data!._entities as ({ id: string; username: string } | null)[];
    expect(entities.slice(0, 50).map((e) => e?.username)).toEqual(created.map((u) => u.username));
    expect(entities.slice(50)).toEqual([null, null]);
    expect(queries.filter((q) => /from "users"/i.test(q))).toHaveLength(1);
    // One array parameter, so every batch size shares one prepared statement.
    expect(queries[0]).toMatch(/= ANY\(\$1::uuid\[\]\)/);
    expect(queries).toHaveLength(1);
  });
});

describe('queries', () => {
  it('me is the viewer, and null without one', async () => {
    const user = await signUp('mia');
    expect((await call('{ me { username } }', {}, user.id)).data).toEqual({ me: { username: 'mia' } });
    expect((await call('{ me { username } }')).data).toEqual({ me: null });
  });

  it('user takes exactly one of id and username', async () => {
    const user = await signUp('noah');
    expect((await call('query($id: ID) { user(id: $id) { username } }', { id: user.id })).data).toEqual({ user: { username: 'noah' } });
    expect((await call('{ user(username: "NOAH") { id } }')).data).toEqual({ user: { id: user.id } });
    expect((await call('{ user(username: "nobody") { id } }')).data).toEqual({ user: null });
    expect((await call('{ user(id: "garbage") { id } }')).data).toEqual({ user: null });
    const neither = await call('{ user { id } }');
    expect(neither.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await call(`{ user(id: "${user.id}", username: "noah") { id } }`);
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('searchUsers matches a prefix of the username or display name, exact username first', async () => {
    await signUp('sam');
    await signUp('samantha');
    await signUp('zed', 'Samuel Zed');
    await signUp('notsam');
    const result = await call('{ searchUsers(query: "SAM") { username } }');
    expect(result.data!.searchUsers).toEqual([{ username: 'sam' }, { username: 'samantha' }, { username: 'zed' }]);
    const limited = await call('{ searchUsers(query: "sam", first: 1) { username } }');
    expect(limited.data!.searchUsers).toEqual([{ username: 'sam' }]);
    // LIKE wildcards in the query match themselves only.
    expect((await call('{ searchUsers(query: "%") { username } }')).data!.searchUsers).toEqual([]);
    expect((await call('{ searchUsers(query: "_am") { username } }')).data!.searchUsers).toEqual([]);
    for (const first of [0, 101, -1]) {
      const bad = await call(`{ searchUsers(query: "sam", first: ${first}) { username } }`);
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('webPushPublicKey is the configured VAPID public key, null without Web Push', async () => {
    expect((await call('{ webPushPublicKey }')).data).toEqual({ webPushPublicKey: null });
    const keys = newTestVapidKeys();
    const withPush = await startUsersService({ ...config, ...keys });
    try {
      const result = await signedGraphql(`${withPush.url}/graphql`, secret, { query: '{ webPushPublicKey }' });
      expect(result.data).toEqual({ webPushPublicKey: keys.VAPID_PUBLIC_KEY });
    } finally {
      await withPush.close();
    }
  });

  it('searchUsers uses the prefix indexes', async () => {
    const { default: postgres } = await import('postgres');
    const sql = postgres(database.url, { max: 1 });
    await sql`set enable_seqscan = off`;
    const plan = await sql.unsafe(
      `explain select * from users where username like 'sam%' or lower(display_name) like 'sam%' order by username = 'sam' desc, username limit 20`,
    );
    await sql.end();
    const text = plan.map((row) => Object.values(row)[0]).join('\n');
    expect(text).toMatch(/users_username_prefix_idx|users_username_key/);
    expect(text).toMatch(/users_display_name_prefix_idx/);
  });
});

describe('updateProfile', () => {
  it('changes the fields given, clears with null or blank, keeps the rest', async () => {
    const user = await signUp('olga');
    const update = (input: Record<string, unknown>) =>
      call('mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { displayName bio } }', { input }, user.id);
    expect((await update({ displayName: 'Olga', bio: 'Hi' })).data).toEqual({ updateProfile: { displayName: 'Olga', bio: 'Hi' } });
    expect((await update({ bio: 'Still me' })).data).toEqual({ updateProfile: { displayName: 'Olga', bio: 'Still me' } });
    expect((await update({ displayName: null, bio: '   ' })).data).toEqual({ updateProfile: { displayName: null, bio: null } });
  });

  it('enforces the 300-character bio, counted in characters, and needs a viewer', async () => {
    const user = await signUp('pia');
    const update = (input: Record<string, unknown>, viewer: string | null = user.id) =>
      call('mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { bio } }', { input }, viewer);
    expect((await update({ bio: '😀'.repeat(300) })).data).toEqual({ updateProfile: { bio: '😀'.repeat(300) } });
    const long = await update({ bio: 'b'.repeat(301) });
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await call('{ me { bio } }', {}, user.id)).data).toEqual({ me: { bio: '😀'.repeat(300) } });
    expect((await update({ bio: 'x' }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('push devices', () => {
  const subscription = (endpoint: string) =>
    JSON.stringify({ endpoint, keys: { p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', auth: 'tBHItJI5svbpez7KI4CCXg' } });
  const register = (viewer: string | null, platform: string, token: string) =>
    call('mutation($input: PushDeviceInput!) { registerPushDevice(input: $input) { id platform createdAt } }', { input: { platform, token } }, viewer);

  it('registers, moves a device to whoever registers it last, and unregisters it once', async () => {
    const a = await signUp('dev_a');
    const b = await signUp('dev_b');
    const first = await register(a.id, 'WEB_PUSH', subscription('https://push.example.com/send/abc'));
    expect(first.data!.registerPushDevice.platform).toBe('WEB_PUSH');
    const again = await register(b.id, 'WEB_PUSH', subscription('https://push.example.com/send/abc'));
    expect(again.data!.registerPushDevice.id).toBe(first.data!.registerPushDevice.id);
    const id = first.data!.registerPushDevice.id as string;
    const unregister = (viewer: string) => call('mutation($id: ID!) { unregisterPushDevice(id: $id) }', { id }, viewer);
    expect((await unregister(a.id)).data).toEqual({ unregisterPushDevice: false });
    expect((await unregister(b.id)).data).toEqual({ unregisterPushDevice: true });
    expect((await unregister(b.id)).data).toEqual({ unregisterPushDevice: false });
    const fcm = await register(a.id, 'FCM', 'fcm-registration-token-123');
    expect(fcm.data!.registerPushDevice.platform).toBe('FCM');
  });

  it('refuses malformed tokens and anonymous callers', async () => {
    const user = await signUp('dev_c');
    for (const token of ['not json', '{"endpoint":"ftp://x"}', JSON.stringify({ endpoint: 'https://x.example' }), '']) {
      expect((await register(user.id, 'WEB_PUSH', token)).errors?.[0]?.extensions?.code, token).toBe('BAD_USER_INPUT');
    }
    expect((await register(user.id, 'FCM', 'has spaces in it')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await register(null, 'FCM', 'token')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
