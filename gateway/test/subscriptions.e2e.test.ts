import { once } from 'node:events';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenIssuer } from '@shutter/auth';
import { newId } from '@shutter/db';
import { Redis } from 'ioredis';
import { liveEvent } from '@shutter/contracts';
import { dropRedisPrefix, testRedisUrl } from '@shutter/testing';
import type { RunningGateway } from '../src/gateway.ts';
import { startStack, type Stack } from './stack.ts';

/** Live updates through the gateway over graphql-ws, with every service and worker running. */
let stack: Stack;
const clients: Client[] = [];

beforeAll(async () => {
  // Two followers make a celebrity here, so a test can follow one without ten thousand accounts.
  stack = await startStack({ feedEnv: { CELEBRITY_FOLLOWER_THRESHOLD: '1' } });
}, 60_000);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await stack?.close();
});

const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** A graphql-ws client that never retries, so a close code reaches the test. */
function connect(token: string | null, url = stack.url, connectionParams?: Record<string, unknown>) {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
    on: { closed: (event) => closes.push(event as { code: number; reason: string }) },
    onNonLazyError: () => {},
  });
  clients.push(client);
  return { client, closes };
}

/** Subscribes and collects every message (and the error, if the subscription fails). */
function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}, operationName?: string) {
  const messages: any[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe({ query, variables, operationName }, { next: (m) => messages.push(m), error: (e) => errors.push(e), complete: () => {} });
  return { messages, errors, stop };
}


const follow = (token: string, userId: string) => stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: userId }, token });
/** Waits until a post is in the reader's feed: for a celebrity's first post, the sign the feed has recorded them. */
const inFeed = (token: string, caption: string) =>
  expect
    .poll(async () => ((await stack.query({ query: '{ feed { edges { node { caption } } } }', token })).data?.feed.edges ?? []).map((e: any) => e.node.caption), { timeout: 10_000 })
    .toContain(caption);
const becameCelebrity = inFeed;
const like = (token: string, postId: string) => stack.query({ query: 'mutation($id: ID!) { likePost(postId: $id) { id } }', variables: { id: postId }, token });

/** Waits until a gateway listens on the user's channel: only then can an event reach the subscription. */
const settle = (userId: string, { topic = 'notifications', gateway = stack.gateway, subscriptions = 1 }: { topic?: string; gateway?: RunningGateway; subscriptions?: number } = {}) =>
  expect
    .poll(() => Object.entries(gateway.liveChannels()).find(([c]) => c.endsWith(`:live:${topic}:${userId}`))?.[1] ?? 0, { timeout: 10_000 })
    .toBe(subscriptions);

/** The hydrations run since `before`, by kind. */
const delta = (before: ReturnType<RunningGateway['liveHydrations']>) => {
  const now = stack.gateway.liveHydrations();
  return { shared: now.shared - before.shared, viewerParts: now.viewerParts - before.viewerParts, full: now.full - before.full };
};

/** A celebrity with these readers following (and reading their feed as one): one channel, every reader's subscription on it. */
async function celebrityWithReaders(name: string, readers: number) {
  const star = await stack.signUp(`${name}_star`);
  const fans = [];
  for (let i = 0; i < readers; i++) {
    const fan = await stack.signUp(`${name}_${i}`);
    await follow(fan.token, star.id);
    fans.push(fan);
  }
  await stack.createPhotoPost(star.token, `${name} first`);
  await becameCelebrity(fans[0]!.token, `${name} first`);
  return { star, fans };
}

const NOTIFICATION_ADDED = `subscription {
  notificationAdded {
    kind
    actor { username followerCount }
    post { caption media { url } author { username } }
  }
}`;

describe('subscriptions through the gateway', () => {
  it('a like reaches the post author as notificationAdded, hydrated from users, social-graph, media and feed', async () => {
    const author = await stack.signUp('sub_author');
    const fan = await stack.signUp('sub_fan');
    await follow(author.token, fan.id); // the fan now has a follower: a social-graph field worth checking
    const postId = await stack.createPhotoPost(author.token, 'live #now');
    const { client } = connect(author.token);
    const live = subscribe(client, NOTIFICATION_ADDED);
    await settle(author.id);

    const before = stack.gateway.liveHydrations();
    await like(fan.token, postId);
    await expect.poll(() => live.messages.length, { timeout: 5_000 }).toBe(1);
    expect(live.errors).toEqual([]);
    // A notification is one viewer's: its own full query, nothing shared.
    expect(delta(before)).toEqual({ shared: 0, viewerParts: 0, full: 1 });
    expect(live.messages[0]).toEqual({
      data: {
        notificationAdded: {
          kind: 'LIKE',
          actor: { username: 'sub_fan', followerCount: 1 },
          post: { caption: 'live #now', media: [{ url: expect.stringMatching(/^http/) }], author: { username: 'sub_author' } },
        },
      },
    });
  }, 40_000);

  it("feedPostAdded brings a followee's new post, with the client's own selection and alias", async () => {
    const reader = await stack.signUp('sub_reader');
    const writer = await stack.signUp('sub_writer');
    await follow(reader.token, writer.id);
    await stack.query({ query: '{ feed { edges { node { id } } } }', token: reader.token }); // an active reader
    const { client } = connect(reader.token);
    const live = subscribe(client, 'subscription { landed: feedPostAdded { id caption author { username } } }');
    await settle(reader.id, { topic: 'feed' });
    const postId = await stack.createPhotoPost(writer.token, 'fresh');
    await expect.poll(() => live.messages.length, { timeout: 10_000 }).toBe(1);
    expect(live.messages[0]).toEqual({ data: { landed: { id: postId, caption: 'fresh', author: { username: 'sub_writer' } } } });
  }, 40_000);

  it("feedPostAdded also brings a celebrity's post, which is not fanned out", async () => {
    const reader = await stack.signUp('sub_star_reader');
    const star = await stack.signUp('sub_star');
    const other = await stack.signUp('sub_star_other');
    await follow(reader.token, star.id);
    await follow(other.token, star.id);
    await stack.createPhotoPost(star.token, 'first'); // found to be above the threshold when it is fanned out
    await becameCelebrity(reader.token, 'first');
    const { client } = connect(reader.token);
    const live = subscribe(client, 'subscription { feedPostAdded { id caption } }');
    await settle(star.id, { topic: 'celebrity' });
    const postId = await stack.createPhotoPost(star.token, 'for my many fans');
    await expect.poll(() => live.messages.length, { timeout: 10_000 }).toBe(1);
    expect(live.messages[0].data.feedPostAdded).toEqual({ id: postId, caption: 'for my many fans' });
    const feed = await stack.query({ query: '{ feed { edges { node { caption } } } }', token: reader.token });
    expect(feed.data!.feed.edges.map((e: any) => e.node.caption)).toEqual(['for my many fans', 'first']);
  }, 40_000);

  it("a celebrity's posts still reach a live subscriber after Redis has lost the feed's data", async () => {
    const reader = await stack.signUp('flush_reader');
    const star = await stack.signUp('flush_star');
    const other = await stack.signUp('flush_other');
    await follow(reader.token, star.id);
    await follow(other.token, star.id);
    await stack.createPhotoPost(star.token, 'before the flush');
    await becameCelebrity(reader.token, 'before the flush');
    const live = subscribe(connect(reader.token).client, 'subscription { feedPostAdded { caption } }');
    await settle(star.id, { topic: 'celebrity' });
    // Every key of the installation goes (timelines, followed-celebrity sets, queues), as in a
    // Redis restart without persistence; the celebrities table in Postgres stays.
    await dropRedisPrefix(stack.queuePrefix);
    await stack.createPhotoPost(star.token, 'after the flush');
    await expect.poll(() => live.messages.map((m) => m.data.feedPostAdded.caption), { timeout: 10_000 }).toEqual(['after the flush']);
    // The reader's set is made again from Postgres and social-graph: both posts are in the feed.
    await inFeed(reader.token, 'before the flush');
    await inFeed(reader.token, 'after the flush');
  }, 40_000);

  it('a subscriber hears a celebrity it follows after subscribing', async () => {
    const reader = await stack.signUp('late_follow_reader');
    const star = await stack.signUp('late_follow_star');
    const fans = [await stack.signUp('late_follow_fan1'), await stack.signUp('late_follow_fan2')];
    for (const fan of fans) await follow(fan.token, star.id);
    await stack.createPhotoPost(star.token, 'already famous');
    await becameCelebrity(fans[0]!.token, 'already famous');
    const live = subscribe(connect(reader.token).client, 'subscription { feedPostAdded { caption } }');
    await settle(reader.id, { topic: 'feed' });
    await follow(reader.token, star.id);
    // follow.created tells the reader's subscription to ask for its channels again.
    await settle(star.id, { topic: 'celebrity', subscriptions: 1 });
    await stack.createPhotoPost(star.token, 'for the new fan');
    await expect.poll(() => live.messages.map((m) => m.data.feedPostAdded.caption), { timeout: 10_000 }).toEqual(['for the new fan']);
  }, 40_000);

  it('a subscriber hears an author who becomes a celebrity after it subscribed', async () => {
    const reader = await stack.signUp('rising_reader');
    const author = await stack.signUp('rising_author');
    await follow(reader.token, author.id);
    await stack.query({ query: '{ feed { edges { node { id } } } }', token: reader.token }); // an active reader
    const live = subscribe(connect(reader.token).client, 'subscription { feedPostAdded { caption } }');
    await settle(reader.id, { topic: 'feed' });
    await stack.createPhotoPost(author.token, 'one follower');
    await expect.poll(() => live.messages.length, { timeout: 10_000 }).toBe(1);
    // A second follower takes the author over the threshold (one): the next post makes them a celebrity.
    const fan = await stack.signUp('rising_fan');
    await follow(fan.token, author.id);
    await stack.createPhotoPost(author.token, 'now famous');
    await expect.poll(() => live.messages.length, { timeout: 10_000 }).toBe(2);
    // From then on the subscription listens on the author's channel too.
    await settle(author.id, { topic: 'celebrity' });
    await stack.createPhotoPost(author.token, 'famous again');
    await expect.poll(() => live.messages.map((m) => m.data.feedPostAdded.caption), { timeout: 10_000 }).toEqual(['one follower', 'now famous', 'famous again']);
  }, 40_000);

  it('one celebrity post to many sockets is hydrated once, when the selection has no viewer field', async () => {
    const { star, fans } = await celebrityWithReaders('shared_plain', 3);
    const lives = fans.map((fan) => subscribe(connect(fan.token).client, 'subscription { feedPostAdded { id caption author { username } media { url } } }'));
    await settle(star.id, { topic: 'celebrity', subscriptions: 3 });
    const before = stack.gateway.liveHydrations();
    const postId = await stack.createPhotoPost(star.token, 'to all at once');
    await expect.poll(() => lives.map((l) => l.messages.length), { timeout: 10_000 }).toEqual([1, 1, 1]);
    for (const live of lives) {
      expect(live.messages[0]).toEqual({ data: { feedPostAdded: { id: postId, caption: 'to all at once', author: { username: 'shared_plain_star' }, media: [{ url: expect.stringMatching(/^http/) }] } } });
    }
    expect(delta(before)).toEqual({ shared: 1, viewerParts: 0, full: 0 });
  }, 40_000);

  it("shares a post's viewer-independent fields, while each viewer gets their own viewerHasLiked and followsViewer", async () => {
    const { star, fans } = await celebrityWithReaders('shared_viewer', 2);
    const [liker, other] = fans as [(typeof fans)[0], (typeof fans)[0]];
    await follow(star.token, liker.id); // the star follows one of them back
    const postId = await stack.createPhotoPost(star.token, 'liked by one');
    await like(liker.token, postId);
    await inFeed(liker.token, 'liked by one'); // its own announcement is over before anyone subscribes
    const query = 'subscription { feedPostAdded { id viewerHasLiked caption ...A } } fragment A on Post { author { followsViewer username } likeCount }';
    const [forLiker, forOther] = [liker, other].map((fan) => subscribe(connect(fan.token).client, query));
    await settle(star.id, { topic: 'celebrity', subscriptions: 2 });
    // The post announced again on the star's channel, as the feed does: one message, both sockets.
    const channel = Object.keys(stack.gateway.liveChannels()).find((c) => c.endsWith(`:live:celebrity:${star.id}`))!;
    const redis = new Redis(testRedisUrl());
    const before = stack.gateway.liveHydrations();
    await redis.publish(channel, liveEvent(postId));
    redis.disconnect();
    await expect.poll(() => [forLiker!.messages.length, forOther!.messages.length], { timeout: 10_000 }).toEqual([1, 1]);
    const post = (viewerHasLiked: boolean, followsViewer: boolean) => ({ id: postId, viewerHasLiked, caption: 'liked by one', author: { followsViewer, username: 'shared_viewer_star' }, likeCount: 1 });
    // Each in the order of the client's selection.
    expect(JSON.stringify(forLiker!.messages[0])).toBe(JSON.stringify({ data: { feedPostAdded: post(true, true) } }));
    expect(JSON.stringify(forOther!.messages[0])).toBe(JSON.stringify({ data: { feedPostAdded: post(false, false) } }));
    // One shared execution; per viewer only the viewer fields.
    expect(delta(before)).toEqual({ shared: 1, viewerParts: 2, full: 0 });
  }, 40_000);

  it('with two gateways, each client receives its own events once, through the gateway it is on', async () => {
    const second = await stack.startAnotherGateway();
    const author = await stack.signUp('two_gw_author');
    const other = await stack.signUp('two_gw_other');
    const fan = await stack.signUp('two_gw_fan');
    const postA = await stack.createPhotoPost(author.token, 'a');
    const postB = await stack.createPhotoPost(other.token, 'b');
    const onFirst = subscribe(connect(author.token).client, 'subscription { notificationAdded { kind post { id } } }');
    const onSecond = subscribe(connect(other.token, second.graphqlUrl).client, 'subscription { notificationAdded { kind post { id } } }');
    // The same user on both gateways: each of their sockets gets the event once.
    const sameUserOnSecond = subscribe(connect(author.token, second.graphqlUrl).client, 'subscription { notificationAdded { kind } }');
    await settle(author.id);
    await settle(other.id, { gateway: second });
    await settle(author.id, { gateway: second });
    await like(fan.token, postA);
    await like(fan.token, postB);
    await expect.poll(() => onFirst.messages.length + onSecond.messages.length + sameUserOnSecond.messages.length, { timeout: 5_000 }).toBe(3);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    expect(onFirst.messages.map((m) => m.data.notificationAdded.post.id)).toEqual([postA]);
    expect(onSecond.messages.map((m) => m.data.notificationAdded.post.id)).toEqual([postB]);
    expect(sameUserOnSecond.messages).toHaveLength(1);
  }, 40_000);

  it('refuses a missing or invalid token with 4401', async () => {
    const missing = connect(null);
    await expect.poll(() => missing.closes[0]?.code, { timeout: 5_000 }).toBe(4401);
    const forged = connect('not.a.token');
    await expect.poll(() => forged.closes[0]?.code, { timeout: 5_000 }).toBe(4401);
  });

  it('closes with 4403 when the token expires, and a fresh token reconnects', async () => {
    const user = await stack.signUp('sub_expiring');
    const issuer = await createAccessTokenIssuer(stack.secrets.ACCESS_TOKEN_PRIVATE_KEY, 1);
    const shortLived = await issuer.issue({ userId: user.id, sessionId: newId() });
    const expiring = connect(shortLived.token);
    subscribe(expiring.client, 'subscription { notificationAdded { kind } }');
    await expect.poll(() => expiring.closes[0]?.code, { timeout: 5_000 }).toBe(4403);

    const fan = await stack.signUp('sub_expiring_fan');
    const fresh = connect(user.token);
    const live = subscribe(fresh.client, 'subscription { notificationAdded { kind actor { username } } }');
    await settle(user.id);
    await follow(fan.token, user.id);
    await expect.poll(() => live.messages.length, { timeout: 5_000 }).toBe(1);
    expect(live.messages[0].data.notificationAdded).toEqual({ kind: 'FOLLOW', actor: { username: 'sub_expiring_fan' } });
  }, 30_000);

  it('survives a client leaving mid-stream: its channels are released and others still receive', async () => {
    const author = await stack.signUp('sub_leaver');
    const fan = await stack.signUp('sub_leaver_fan');
    const postId = await stack.createPhotoPost(author.token, 'x');
    // A raw graphql-ws client, so it can drop without a close frame, as a phone losing signal would.
    const leaving = new WebSocket(wsUrl(stack.url), 'graphql-transport-ws');
    await once(leaving, 'open');
    leaving.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${author.token}` } }));
    const [ack] = await once(leaving, 'message');
    expect(JSON.parse(String(ack))).toMatchObject({ type: 'connection_ack' });
    leaving.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { notificationAdded { kind } }' } }));
    const staying = connect(author.token);
    const live = subscribe(staying.client, 'subscription { notificationAdded { kind } }');
    await settle(author.id, { subscriptions: 2 });
    expect(stack.gateway.liveConnections()).toBe(2);
    leaving.terminate();
    await like(fan.token, postId);
    await expect.poll(() => live.messages.length, { timeout: 5_000 }).toBe(1);
    await staying.client.dispose();
    await expect.poll(() => stack.gateway.liveConnections(), { timeout: 5_000 }).toBe(0);
  }, 30_000);

  it('releases the Redis channel at once when a client unsubscribes or disconnects while no event comes', async () => {
    const user = await stack.signUp('sub_idle');
    const listeners = () => stack.gateway.liveChannels()[`${stack.queuePrefix}:live:notifications:${user.id}`] ?? 0;
    const { client } = connect(user.token);
    const first = subscribe(client, 'subscription { notificationAdded { kind } }');
    subscribe(client, 'subscription { notificationAdded { id } }');
    await settle(user.id, { subscriptions: 2 });
    first.stop(); // the client's "complete"
    await expect.poll(listeners, { timeout: 5_000 }).toBe(1);
    await client.dispose(); // the socket goes away
    await expect.poll(listeners, { timeout: 5_000 }).toBe(0);
  });

  it('delivers an event whose selection has a field error, with the error, and keeps the subscription', async () => {
    const author = await stack.signUp('sub_partial');
    const [fan1, fan2] = [await stack.signUp('sub_partial_1'), await stack.signUp('sub_partial_2')];
    const postId = await stack.createPhotoPost(author.token, 'p');
    const { client } = connect(author.token);
    // first: 101 is out of range: media answers an error for post, which is nullable here.
    const live = subscribe(client, 'subscription { notificationAdded { kind post { comments(first: 101) { edges { cursor } } } } }');
    await settle(author.id);
    await like(fan1.token, postId);
    await expect.poll(() => live.messages.length, { timeout: 5_000 }).toBe(1);
    expect(live.messages[0].data).toEqual({ notificationAdded: { kind: 'LIKE', post: null } });
    expect(live.messages[0].errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await like(fan2.token, postId);
    await expect.poll(() => live.messages.length, { timeout: 5_000 }).toBe(2);
    expect(live.errors).toEqual([]);
  });

  it("hydrates with the subscription's own fragments and variables, in a document with other operations", async () => {
    const author = await stack.signUp('sub_doc');
    const fan = await stack.signUp('sub_doc_fan');
    const postId = await stack.createPhotoPost(author.token, 'doc');
    const { client } = connect(author.token);
    const document = `
      subscription Live($withPost: Boolean!) { notificationAdded { ...N post @include(if: $withPost) { caption } } }
      fragment N on Notification { kind actor { ...U } }
      fragment U on User { username }
      query Other { me { ...Unused } }
      fragment Unused on User { id }`;
    const live = subscribe(client, document, { withPost: true }, 'Live');
    await settle(author.id);
    await like(fan.token, postId);
    await expect.poll(() => live.messages.length, { timeout: 5_000 }).toBe(1);
    expect(live.messages[0].data).toEqual({ notificationAdded: { kind: 'LIKE', actor: { username: 'sub_doc_fan' }, post: { caption: 'doc' } } });
    const reserved = subscribe(client, 'subscription($__eventId: ID) { notificationAdded { kind } }', { __eventId: null });
    await expect.poll(() => reserved.errors.length, { timeout: 5_000 }).toBe(1);
  });

  it('refuses a fragment at the root of a subscription with BAD_USER_INPUT', async () => {
    const user = await stack.signUp('sub_fragment');
    const { client } = connect(user.token);
    const spread = subscribe(client, 'subscription { ...Live } fragment Live on Subscription { notificationAdded { kind } }');
    await expect.poll(() => spread.errors.length, { timeout: 5_000 }).toBe(1);
    expect(JSON.stringify(spread.errors)).toContain('BAD_USER_INPUT');
    expect(stack.gateway.liveConnections()).toBeGreaterThan(0); // the socket stays open
  });

  it('applies the operation limits and the per-connection subscription limit', async () => {
    const user = await stack.signUp('sub_limits');
    const { client } = connect(user.token);
    const deep = subscribe(client, `subscription { feedPostAdded { author { followers { edges { node { followers { edges { node { followers { edges { node { followers { edges { node { id } } } } } } } } } } } } } } }`);
    await expect.poll(() => deep.errors.length, { timeout: 5_000 }).toBe(1);
    const query = subscribe(client, '{ me { id } }');
    await expect.poll(() => query.errors.length, { timeout: 5_000 }).toBe(1);
    // ... and the other way round: a subscription over HTTP is a clear error.
    const overHttp = await stack.query({ query: 'subscription { notificationAdded { id } }', token: user.token });
    expect(overHttp.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const many = Array.from({ length: 11 }, () => subscribe(client, 'subscription { notificationAdded { kind } }'));
    await expect.poll(() => many.filter((s) => s.errors.length > 0).length, { timeout: 5_000 }).toBe(1);
    expect(JSON.stringify(many.find((s) => s.errors.length)!.errors)).toContain('At most 10 subscriptions');

    // Ten sockets per user on a gateway: the eleventh is closed with 4429.
    const more = Array.from({ length: 10 }, () => connect(user.token));
    await expect.poll(() => more.filter((c) => c.closes[0]?.code === 4429).length, { timeout: 5_000 }).toBe(1);
  });
});

