import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenIssuer, newAccessTokenKeys, signRequest } from '@shutter/auth';
import { corrupted, operationArbitrary, type Pools } from './fuzz/documents.ts';
import { imageCaseArbitrary, imageCorpus, type ImageCorpus } from './fuzz/images.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * A hostile client, generated: documents built from the schema with hostile values, broken
 * documents, bodies and headers of every shape, cursors, ids, persisted-query extensions, other
 * paths and methods, signed `_entities` calls straight to the subgraphs (a gateway's worst), and
 * image files (cut short, bit-flipped, polyglots, decompression bombs), all against the real stack.
 *
 * Every answer must be well formed: below 500, JSON where JSON is due, each error with a code of the
 * contract (or of GraphQL servers), never INTERNAL_SERVER_ERROR, never a stack trace. Afterwards
 * every process still works and the victim's data is as it was.
 *
 * FUZZ_SEED fixes the run (.ci/run sets it); FUZZ_RUNS sets its length (10,000 requests, plus image
 * and subgraph cases in proportion): `FUZZ_RUNS=100000 npm run fuzz` for a long one.
 */
const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const imageRuns = Math.max(150, Math.round(runs / 40));
const entityRuns = Math.max(200, Math.round(runs / 20));
const socketRuns = Math.max(100, Math.round(runs / 50));
/** The media service's pixel limit here: low, so that a bomb just under it costs milliseconds to process. */
const MAX_INPUT_PIXELS = 4_000_000;

/** The codes an answer may carry: the contract's, and those of Apollo Server and Gateway for requests they refuse. */
const ALLOWED_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
/** What a stack trace or an internal path looks like in a body. */
const LEAK = /\n\s+at .+:\d+:\d+\)?|node:internal|\/node_modules\/|"stacktrace"/;

let stack: Stack;
let schema: GraphQLSchema;
let corpus: ImageCorpus;
const victim = { id: '', token: '', refreshToken: '', username: 'fuzz_victim', postId: '', commentId: '', notificationId: '', deviceId: '' };
const attacker = { id: '', token: '' };
let forgedToken = '';
let snapshot: unknown;
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const result = await stack.query({ query, variables, token });
  if (result.errors?.length) throw new Error(`${query}: ${JSON.stringify(result.errors)}`);
  return result.data as Record<string, any>;
}

/** The notifications the victim had before the fuzz (others may add new ones, by liking or following). */
const knownNotifications = new Set<string>();

/**
 * Everything of the victim's that no one else may change: the profile, the posts and the victim's
 * own comments on them, whom the victim follows, and the read state of the victim's notifications.
 * (Others may like, comment and follow: likeCount, others' comments and new notifications are not
 * the victim's to keep.)
 */
async function victimState() {
  const { me, notifications } = await gql(
    `{ me { id username displayName bio avatar { id } posts(first: 5) { edges { node { id caption hashtags media { id } comments(first: 10) { edges { node { id text author { id } } } } } } }
       following(first: 10) { edges { node { id } } } } notifications(first: 20) { edges { node { id kind read } } } }`,
    {},
    victim.token,
  );
  return {
    profile: { id: me.id, username: me.username, displayName: me.displayName, bio: me.bio, avatar: me.avatar },
    posts: me.posts.edges.map(({ node }: any) => ({ ...node, comments: node.comments.edges.filter((e: any) => e.node.author.id === victim.id) })),
    following: me.following,
    notifications: notifications.edges.filter((e: any) => knownNotifications.size === 0 || knownNotifications.has(e.node.id)),
  };
}

beforeAll(async () => {
  stack = await startStack({ mediaEnv: { MAX_INPUT_PIXELS: String(MAX_INPUT_PIXELS) } });
  const introspection = await stack.query({ query: getIntrospectionQuery() });
  schema = buildClientSchema(introspection.data as unknown as IntrospectionQuery);
  corpus = await imageCorpus(MAX_INPUT_PIXELS);

  const signUp = async (username: string) => {
    const data = await gql('mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }', {
      input: { username, email: `${username}@example.com`, password: 'password123' },
    });
    return { id: data.signUp.user.id as string, token: data.signUp.accessToken as string, refreshToken: data.signUp.refreshToken as string };
  };
  Object.assign(victim, await signUp(victim.username));
  Object.assign(attacker, await signUp('fuzz_attacker'));
  const friend = await signUp('fuzz_friend');
  await gql('mutation { updateProfile(input: { displayName: "Victim", bio: "mine #own" }) { id } }', {}, victim.token);
  victim.postId = await stack.createPhotoPost(victim.token, 'the victim’s post #fuzz');
  victim.commentId = (await gql('mutation($id: ID!) { addComment(postId: $id, text: "my comment") { id } }', { id: victim.postId }, victim.token)).addComment.id;
  await gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: friend.id }, victim.token);
  await gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: victim.id }, friend.token);
  victim.deviceId = (await gql('mutation { registerPushDevice(input: { platform: FCM, token: "victim-device" }) { id } }', {}, victim.token)).registerPushDevice.id;
  // The friend's follow, as a notification (the feed worker makes it): waited for here, in the setup.
  for (const started = Date.now(); (await victimState()).notifications.length === 0; await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - started > 10_000) throw new Error('the victim got no notification');
  }
  snapshot = await victimState();
  victim.notificationId = (snapshot as any).notifications[0].node.id;
  knownNotifications.add(victim.notificationId);
  // A token the gateway did not issue: the right shape, signed by another key.
  forgedToken = (await (await createAccessTokenIssuer(newAccessTokenKeys().privateKey, 900)).issue({ userId: victim.id, sessionId: randomUUID() })).token;
}, 120_000);
afterAll(async () => {
  console.log(`fuzz (seed ${seed}): ${[...tally].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  await stack?.close();
});

/** One request as sent, and the checks its answer must pass. */
interface Probe {
  category: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Sends it; fails (with the request, for the shrunk counterexample) if the answer is not well formed. */
async function sendAndCheck(probe: Probe): Promise<{ status: number; json: any }> {
  count(probe.category);
  const response = await fetch(probe.url, { method: probe.method, headers: probe.headers, body: probe.method === 'GET' || probe.method === 'HEAD' ? undefined : probe.body });
  const text = await response.text();
  const what = `${probe.method} ${probe.url.slice(0, 300)} ${JSON.stringify(probe.headers)} ${String(probe.body ?? '').slice(0, 500)}\n→ ${response.status} ${text.slice(0, 1000)}`;
  if (response.status >= 500) throw new Error(`a ${response.status}: ${what}`);
  if (LEAK.test(text)) throw new Error(`a stack trace or internal path: ${what}`);
  let json: any = null;
  // A HEAD answer has the headers of a GET and no body.
  if (probe.method !== 'HEAD' && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`JSON that does not parse: ${what}`);
    }
    for (const error of Array.isArray(json?.errors) ? json.errors : []) {
      const code = error?.extensions?.code;
      count(`code ${code}`);
      if (!ALLOWED_CODES.has(code)) throw new Error(`an error code outside the contract (${code}): ${what}`);
      if (typeof error.message !== 'string' || error.message === 'Internal server error') throw new Error(`an internal error: ${what}`);
    }
  }
  count(`status ${response.status}`);
  return { status: response.status, json };
}

// ------------------------------------------------------------------ what the hostile client sends

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  // Any UTF-16 unit: NULs, controls, lone surrogates.
  { weight: 2, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', 'x'.repeat(2_201), 'y'.repeat(10_001), '#tag '.repeat(50), '%', '%00', '\\', "' OR 1=1 --",
      '"; DROP TABLE users; --', '<script>alert(1)</script>', '../../etc/passwd', '${jndi:ldap://x}', '__proto__', 'constructor', 'fuzz_victim',
      'FUZZ_VICTIM@example.com', 'image/jpeg', 'WEB_PUSH', '{"endpoint":"http://127.0.0.1:1/","keys":{"p256dh":"x","auth":"y"}}', '😀'.repeat(1100),
    ),
  },
);

/** A time for cursors (fixed, so that a failing case replays with the same values). */
const NOW = 1_796_000_000_000;

function pools(): Pools {
  const sample = <T>(arb: fc.Arbitrary<T>, n: number, offset: number) => fc.sample(arb, { seed: seed + offset, numRuns: n });
  const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    strings: sample(hostileString, 60, 1),
    ids: [victim.id, victim.postId, victim.commentId, victim.notificationId, victim.deviceId, attacker.id, '0190d5a2-7c1e-7b3a-9f00-123456789abc', '00000000-0000-0000-0000-000000000000', 'not-an-id', '', '\u0000', `${victim.id}\u0000`, victim.id.toUpperCase(), `${victim.id} `, 'x'.repeat(5000), ...sample(fc.uuid(), 5, 2), ...sample(hostileString, 10, 3)],
    ints: [0, 1, -1, 20, 100, 101, 2_147_483_647, -2_147_483_648, 2 ** 53, 1.5, '12', null, true],
    cursors: [
      base64([1e20, victim.id]), base64([-1, victim.id]), base64([Number.MAX_SAFE_INTEGER, victim.id]), base64([NOW, 'not-a-uuid']), base64([NOW]), base64({ a: 1 }),
      base64([NOW, victim.id, 'extra']), base64([NOW, victim.id]), base64(['2026-01-01', victim.id]), 'not base64 at all', '', '\u0000', 'x'.repeat(600),
      ...sample(fc.json().map((j) => Buffer.from(j).toString('base64url')), 10, 4),
      ...sample(fc.tuple(fc.oneof(fc.integer(), fc.double(), fc.string()), fc.oneof(fc.uuid(), fc.string())).map(base64), 10, 5),
    ],
    json: [null, 0, -1, Number.POSITIVE_INFINITY, '', [], {}, [[[[]]]], { __proto__: { polluted: true } }, 'x'.repeat(3000), true, { id: victim.id }, [victim.id]],
  };
}

const tokens = () => fc.constantFrom<string | null>(null, null, attacker.token, attacker.token, forgedToken, 'garbage', `${attacker.token}x`, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', '', 'Bearer', 'a'.repeat(9000));
const authorizationHeader = (token: string | null, style: number): Record<string, string> => (token === null ? {} : { authorization: [`Bearer ${token}`, `bearer ${token}`, token, `Basic ${token}`][style % 4]! });

// Mostly what clients send, so that most requests reach the operation; sometimes what none should.
const accepts = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(undefined, 'application/json', 'application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9', '*/*') },
  { weight: 1, arbitrary: fc.constantFrom('text/html', 'image/png', 'application/json;charset=latin1', '', 'nonsense/!!') },
);
const contentTypes = fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/graphql', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16');
/** Header values a client can send (visible ASCII: fetch refuses the rest before it leaves). */
const headerValue = fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
const extraHeaders = fc.record(
  {
    'x-forwarded-for': fc.oneof(headerValue, fc.constantFrom('1.2.3.4', '::1', '127.0.0.1, 10.0.0.1', 'unknown', '2001:db8::1, 300.1.1.1')),
    'x-request-id': headerValue,
    'apollo-require-preflight': fc.constantFrom('true', ''),
    'x-viewer-id': fc.constant('set-by-a-client'),
    'x-shutter-signature': headerValue,
  },
  { requiredKeys: [] },
).map((headers) => headers as Record<string, string>);

function probes(gatewayUrl: string, mediaUrl: string, subgraphUrls: string[]): fc.Arbitrary<Probe> {
  const p = pools();
  const operation = operationArbitrary(schema, p);
  const post = (category: string, body: fc.Arbitrary<string | Buffer>) =>
    fc.record({ body, token: tokens(), style: fc.nat(), accept: accepts, contentType: contentTypes, extra: extraHeaders, json: fc.nat(9).map((n) => n > 1) }).map(
      ({ body, token, style, accept, contentType, extra, json }): Probe => ({
        category,
        url: gatewayUrl,
        method: 'POST',
        headers: { 'content-type': json ? 'application/json' : contentType, ...(accept === undefined ? {} : { accept }), ...authorizationHeader(token, style), ...extra },
        body,
      }),
    );
  const listQueries = [
    'query($id: ID!, $after: String, $first: Int) { user(id: $id) { followers(first: $first, after: $after) { edges { cursor } } } }',
    'query($id: ID!, $after: String, $first: Int) { user(id: $id) { following(first: $first, after: $after) { edges { cursor } } } }',
    'query($id: ID!, $after: String, $first: Int) { user(id: $id) { posts(first: $first, after: $after) { edges { cursor node { id } } } } }',
    'query($id: ID!, $after: String, $first: Int) { post(id: $id) { comments(first: $first, after: $after) { edges { cursor } } } }',
    'query($after: String, $first: Int) { feed(first: $first, after: $after) { edges { cursor } } }',
    'query($after: String, $first: Int) { notifications(first: $first, after: $after) { edges { cursor } } }',
    'query($after: String, $first: Int) { postsByHashtag(tag: "fuzz", first: $first, after: $after) { edges { cursor } } }',
  ];
  const idQueries = [
    'query($id: ID) { user(id: $id) { id username } }',
    'query($id: ID!) { post(id: $id) { id caption author { id } } }',
    'mutation($id: ID!) { deletePost(id: $id) }',
    'mutation($id: ID!) { deleteComment(id: $id) }',
    'mutation($id: ID!) { likePost(postId: $id) { id } }',
    'mutation($id: ID!) { follow(userId: $id) { id } }',
    'mutation($id: ID!) { unregisterPushDevice(id: $id) }',
    'mutation($id: ID) { markNotificationsRead(upTo: $id) }',
    'mutation($id: ID) { setAvatar(uploadId: $id) { id } }',
    'mutation($id: ID!) { createPost(input: { uploadIds: [$id] }) { id } }',
  ];
  const jsonBody = (value: fc.Arbitrary<unknown>) => value.map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(
    { weight: 30, arbitrary: post('document', jsonBody(operation)) },
    { weight: 8, arbitrary: post('document, as an operation name it lacks', jsonBody(fc.tuple(operation, hostileString).map(([o, name]) => ({ ...o, operationName: name })))) },
    { weight: 12, arbitrary: post('broken document', jsonBody(fc.record({ query: corrupted(operation.map((o) => o.query)) }))) },
    { weight: 8, arbitrary: post('cursor', jsonBody(fc.record({ query: fc.constantFrom(...listQueries), variables: fc.record({ id: fc.constantFrom(...p.ids), after: fc.constantFrom(...p.cursors), first: fc.constantFrom(...p.ints) }) }))) },
    { weight: 6, arbitrary: post('id', jsonBody(fc.record({ query: fc.constantFrom(...idQueries), variables: fc.record({ id: fc.constantFrom(...p.ids) }) }))) },
    {
      weight: 8,
      arbitrary: post(
        'body',
        fc.oneof(
          jsonBody(fc.json().map((j) => JSON.parse(j))),
          jsonBody(fc.record({ query: fc.oneof(fc.json().map((j) => JSON.parse(j)), hostileString), variables: fc.oneof(fc.json().map((j) => JSON.parse(j)), fc.constant('{"a":1}')), operationName: fc.json().map((j) => JSON.parse(j)) }, { requiredKeys: [] })),
          jsonBody(fc.array(fc.record({ query: fc.constant('{ __typename }') }), { maxLength: 3 })),
          fc.constantFrom('', '{', '{"query":', 'null', '[]', '"{ me { id } }"', '{"query":"{ __typename }"}garbage', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"query":"{ __typename }","variables":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`),
          fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
        ),
      ),
    },
    {
      weight: 5,
      arbitrary: post(
        'persisted query',
        jsonBody(
          fc.record(
            {
              query: fc.constantFrom('{ __typename }', '{ me { id } }'),
              extensions: fc.oneof(
                fc.record({ persistedQuery: fc.record({ version: fc.constantFrom(1, 1, 2, '1', null), sha256Hash: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), hostileString, fc.constant(null), fc.integer()) }, { requiredKeys: [] }) }),
                fc.json().map((j) => JSON.parse(j)),
              ),
            },
            { requiredKeys: ['extensions'] },
          ),
        ),
      ),
    },
    {
      weight: 7,
      arbitrary: fc.record({ operation, broken: fc.boolean(), accept: accepts, extra: extraHeaders, token: tokens(), rawVariables: hostileString }).map(({ operation, broken, accept, extra, token, rawVariables }): Probe => {
        const search = new URLSearchParams({ query: operation.query, variables: broken ? rawVariables : JSON.stringify(operation.variables) });
        return { category: 'GET', url: `${gatewayUrl}?${search}`, method: 'GET', headers: { ...(accept === undefined ? {} : { accept }), ...authorizationHeader(token, 0), ...extra } };
      }),
    },
    {
      weight: 6,
      arbitrary: fc
        .record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
          base: fc.constantFrom(gatewayUrl.replace(/\/graphql$/, ''), mediaUrl, ...subgraphUrls.map((u) => u.replace(/\/graphql$/, ''))),
          path: fc.oneof(
            fc.constantFrom('/graphql', '/', '/healthz', '/readyz', '//graphql', '/graphql/', '/GRAPHQL', '/files/%E0%A4%A', '/files/%', '/files/images/../../etc/passwd', '/files/originals/x', '/uploads/x', '/uploads/0190d5a2-7c1e-7b3a-9f00-123456789abc?expires=9999999999999&signature=x', '/uploads/%ff', '/social-graph/follower-ids', '/live-channels', '/.env'),
            headerValue.map((s) => `/${encodeURI(s)}`),
          ),
          body: fc.oneof(fc.constant(undefined), hostileString.map((s) => s.slice(0, 500)), fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b))),
          extra: extraHeaders,
        })
        .map(({ method, base, path, body, extra }): Probe => ({ category: 'other path', url: `${base}${path}`, method, headers: { 'content-type': 'application/json', ...extra }, body: typeof body === 'string' ? body : body })),
    },
  );
}

/** `_entities` as the gateway calls it, signed, with hostile representations: what a subgraph gets if the gateway is fooled. */
function entityProbes(subgraphs: { url: string; types: string[] }[]): fc.Arbitrary<Probe> {
  const p = pools();
  const representation = (types: string[]) =>
    fc.oneof(
      fc.record({ __typename: fc.constantFrom(...types), id: fc.oneof(fc.constantFrom(...p.ids), hostileString, fc.integer(), fc.constant(null), fc.json().map((j) => JSON.parse(j))) }),
      fc.record({ __typename: fc.constantFrom(...types) }),
    );
  return fc
    .constantFrom(...subgraphs)
    .chain((subgraph) => fc.tuple(fc.constant(subgraph), fc.array(representation(subgraph.types), { maxLength: 20 }), fc.option(fc.constantFrom(victim.id, attacker.id), { nil: null })))
    .map(([subgraph, representations, viewerId]) => {
      const body = JSON.stringify({ query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', variables: { r: representations } });
      return {
        category: 'signed _entities',
        url: subgraph.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(stack.secrets.GATEWAY_SIGNING_SECRET, { viewerId, requestId: randomUUID(), body }) },
        body,
      };
    });
}

/**
 * Close codes a hostile socket may see: the WebSocket protocol's for a bad frame or message, and
 * graphql-ws's and ours for a bad client (4400 bad message, 4401 no token, 4403 forbidden, 4409 a
 * subscriber id twice, 4429 too many, 4499 no connection_init in time). Not 1011 (a server error).
 */
const ALLOWED_CLOSES = new Set([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1009, 1013, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499]);

interface SocketCase {
  path: string;
  protocol: string;
  token: string | null;
  messages: (string | Buffer)[];
}

function socketCases(): fc.Arbitrary<SocketCase> {
  const p = pools();
  const operation = operationArbitrary(schema, p);
  const subscription = fc.oneof(
    fc.constantFrom('subscription { notificationAdded { kind actor { username } } }', 'subscription { feedPostAdded { id caption author { id } } }', 'subscription S($x: String) { feedPostAdded { comments(after: $x) { edges { cursor } } } }'),
    operation.map((o) => o.query),
    corrupted(fc.constant('subscription { notificationAdded { kind post { id } } }')),
  );
  const message = fc.oneof(
    { weight: 4, arbitrary: fc.record({ id: fc.oneof(fc.uuid(), hostileString, fc.constant('1')), type: fc.constant('subscribe'), payload: fc.record({ query: subscription, variables: fc.oneof(fc.constant({}), fc.record({ x: fc.constantFrom(...p.cursors) }), fc.json().map((j) => JSON.parse(j))), operationName: fc.option(hostileString, { nil: undefined }) }, { requiredKeys: ['query'] }) }).map((m) => JSON.stringify(m)) },
    { weight: 2, arbitrary: fc.record({ id: fc.oneof(fc.uuid(), fc.constant('1')), type: fc.constant('complete') }).map((m) => JSON.stringify(m)) },
    { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('connection_init', 'ping', 'pong', 'next', 'error', 'connection_ack', 'nonsense'), payload: fc.json().map((j) => JSON.parse(j)) }, { requiredKeys: ['type'] }).map((m) => JSON.stringify(m)) },
    { weight: 1, arbitrary: fc.oneof(fc.json(), hostileString, fc.constant('x'.repeat(70 * 1024))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  );
  // Half of the sockets keep to the protocol (their subscriptions are what is hostile), so that
  // they get as far as subscribing; the other half break it too.
  const subscribeMessage = fc
    .record({ id: fc.oneof(fc.uuid(), fc.constant('1')), query: subscription, variables: fc.oneof(fc.constant({}), fc.record({ x: fc.constantFrom(...p.cursors, ...p.strings) })) })
    .map(({ id, query, variables }) => JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  const lawful = fc.oneof({ weight: 4, arbitrary: subscribeMessage }, { weight: 1, arbitrary: fc.constantFrom(JSON.stringify({ id: '1', type: 'complete' }), JSON.stringify({ type: 'pong' })) });
  return fc.record({
    lawful: fc.boolean(),
    messages: fc.array(message, { maxLength: 6 }),
    lawfulMessages: fc.array(lawful, { minLength: 1, maxLength: 6 }),
    path: fc.oneof({ weight: 8, arbitrary: fc.constant('/graphql') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/nope', '/graphql?x=1') }),
    protocol: fc.oneof({ weight: 8, arbitrary: fc.constant('graphql-transport-ws') }, { weight: 1, arbitrary: fc.constantFrom('graphql-ws', 'nonsense') }),
    // Mostly signed in, so that most sockets get as far as their subscriptions.
    token: fc.oneof({ weight: 3, arbitrary: fc.constant(attacker.token) }, { weight: 1, arbitrary: tokens() }),
    init: fc.nat(9).map((n) => n > 1),
  }).map(({ lawful, path, protocol, token, init, messages, lawfulMessages }) => {
    const initMessage = JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
    if (lawful) return { path: '/graphql', protocol: 'graphql-transport-ws', token: attacker.token, messages: [JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${attacker.token}` } }), ...lawfulMessages] };
    return { path, protocol, token, messages: init ? [initMessage, ...messages] : messages };
  });
}

/** Plays one socket case; fails if the server closes with a code no client error explains, or says anything out of the contract. */
async function playSocket(base: string, test: SocketCase): Promise<void> {
  count('socket');
  const socket = new WebSocket(`${base.replace(/^http/, 'ws').replace(/\/graphql$/, '')}${test.path}`, test.protocol);
  const what = () => `${test.path} ${test.protocol} ${JSON.stringify(test.messages.map((m) => String(m).slice(0, 300)))}`;
  const problems: string[] = [];
  const closed = new Promise<number>((resolve) => {
    socket.on('close', (code) => resolve(code));
    socket.on('error', () => {});
    socket.on('unexpected-response', (_req, res) => {
      count(`socket upgrade ${res.statusCode}`);
      if ((res.statusCode ?? 0) >= 500) problems.push(`upgrade answered ${res.statusCode}`);
      socket.terminate();
    });
  });
  socket.on('message', (data) => {
    const text = String(data);
    if (LEAK.test(text)) problems.push(`a stack trace: ${text.slice(0, 500)}`);
    let message: any;
    try {
      message = JSON.parse(text);
    } catch {
      problems.push(`a message that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    const errors = message.type === 'error' ? message.payload : message.type === 'next' ? message.payload?.errors : undefined;
    for (const error of Array.isArray(errors) ? errors : []) {
      count(`socket code ${error?.extensions?.code}`);
      if (!ALLOWED_CODES.has(error?.extensions?.code)) problems.push(`an error code outside the contract: ${JSON.stringify(error).slice(0, 300)}`);
    }
    if (message.type === 'pong' && message.payload?.fuzz) socket.close(1000);
  });
  const opened = await Promise.race([new Promise<boolean>((resolve) => socket.once('open', () => resolve(true))), closed.then(() => false)]);
  let acknowledged: () => void = () => {};
  const ack = new Promise<void>((resolve) => (acknowledged = resolve));
  socket.on('message', (data) => String(data).includes('"connection_ack"') && acknowledged());
  if (opened) {
    const [first, ...rest] = test.messages;
    // A connection_init first is answered before the rest is sent, as a client must wait for it
    // (a subscribe before the ack is closed with 4401, rightly); the rest are sent at once.
    if (first !== undefined && String(first).includes('"connection_init"')) {
      socket.send(first);
      await Promise.race([ack, closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    } else if (first !== undefined) socket.send(first);
    for (const m of rest) if (socket.readyState === socket.OPEN) socket.send(m);
    // graphql-ws answers a ping with a pong, after what came before it has been read.
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'ping', payload: { fuzz: true } }));
  }
  const code = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 2_000))]);
  if (code === -1) socket.terminate();
  else {
    count(`socket close ${code}`);
    if (!ALLOWED_CLOSES.has(code)) problems.push(`closed with ${code}`);
  }
  if (problems.length > 0) throw new Error(`${problems.join('; ')}: ${what()}`);
}

describe('fuzz: a hostile client against the whole stack', () => {
  it(`${runs} generated requests: every answer well formed, with a contract code`, async () => {
    await fc.assert(
      fc.asyncProperty(probes(stack.url, stack.media.url, [stack.users.url, stack.media.url, stack.socialGraph.url, stack.feed.url].map((u) => `${u}/graphql`)), async (probe) => {
        await sendAndCheck(probe);
      }),
      { seed, numRuns: runs, endOnFailure: false },
    );
  }, 60_000 + runs * 100);

  it(`${entityRuns} signed _entities calls with hostile representations: no subgraph answers 500`, async () => {
    const subgraphs = [
      { url: `${stack.users.url}/graphql`, types: ['User'] },
      { url: `${stack.media.url}/graphql`, types: ['User', 'Post', 'Comment'] },
      { url: `${stack.socialGraph.url}/graphql`, types: ['User'] },
    ];
    await fc.assert(fc.asyncProperty(entityProbes(subgraphs), async (probe) => void (await sendAndCheck(probe))), { seed, numRuns: entityRuns });
  }, 60_000 + entityRuns * 100);

  it(`${socketRuns} hostile graphql-ws sockets: closed with a client's close code, never a server error`, async () => {
    await fc.assert(fc.asyncProperty(socketCases(), (test) => playSocket(stack.url, test)), { seed, numRuns: socketRuns });
  }, 60_000 + socketRuns * 2_500);

  it(`${imageRuns} uploads of hostile image files: refused with a 4xx, or processed; the worker goes on`, async () => {
    await fc.assert(
      fc.asyncProperty(imageCaseArbitrary(corpus), fc.boolean(), async (image, post) => {
        count('image');
        const created = await sendAndCheck({
          category: 'image: createUpload',
          url: stack.url,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${attacker.token}` },
          body: JSON.stringify({ query: 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }', variables: { input: { contentType: image.declaredType, byteSize: image.declaredSize } } }),
        });
        const upload = created.json?.data?.createUpload;
        if (!upload) {
          expect(created.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
          return;
        }
        const put = await sendAndCheck({ category: 'image: PUT', url: upload.uploadUrl, method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: image.bytes });
        count(`image PUT ${put.status}`);
        if (post) {
          await sendAndCheck({
            category: 'image: createPost',
            url: stack.url,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${attacker.token}` },
            body: JSON.stringify({ query: 'mutation($u: ID!) { createPost(input: { uploadIds: [$u], caption: "fuzz" }) { id } }', variables: { u: upload.id } }),
          });
        }
      }),
      { seed, numRuns: imageRuns },
    );
  }, 120_000 + imageRuns * 500);

  it('leaves every process working, and the victim as they were', async () => {
    for (const url of [stack.gateway.url, stack.users.url, stack.media.url, stack.socialGraph.url, stack.feed.url]) expect((await fetch(`${url}/healthz`)).status, url).toBe(200);
    // No socket of the fuzz is left behind.
    await expect.poll(() => stack.gateway.liveConnections(), { timeout: 10_000 }).toBe(0);
    expect((await fetch(`${stack.gateway.url}/readyz`)).status).toBe(200);
    // The media worker, after every bomb and broken file: it still publishes a good post.
    expect(await stack.createPhotoPost(attacker.token, 'after the fuzz')).toEqual(expect.any(String));
    expect(await victimState()).toEqual(snapshot);
    // The victim's session: not ended, not stolen.
    const refreshed = await stack.query({ query: 'mutation($t: String!) { refreshSession(refreshToken: $t) { user { id } } }', variables: { t: victim.refreshToken } });
    expect(refreshed.data).toEqual({ refreshSession: { user: { id: victim.id } } });
  }, 60_000);
});
