import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decryptWebPush, newTestBrowser, subscriptionOf } from '@shutter/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.ts';

/** The home feed and notifications through the gateway, with every service and worker running. */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await stack?.close();
});


const FEED = `query { feed(first: 20) {
  edges { cursor node { id caption author { username followerCount } media { url width } likeCount viewerHasLiked } }
  pageInfo { hasNextPage endCursor }
} }`;

const NOTIFICATIONS = `query { notifications(first: 10) {
  edges { node { id kind read actor { username } post { id caption } comment { text } } }
} unreadNotificationCount }`;

/** A browser vendor's push service on 127.0.0.1: records what it is sent, answers 201. */
async function startPushService() {
  const received: { path: string; headers: Record<string, unknown>; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('feed and notifications through the gateway', () => {
  it("A follows B, B posts: the post tops A's feed with fields from media and users, and A is notified", async () => {
    const a = await stack.signUp('ada_feed');
    const b = await stack.signUp('bob_feed');
    // A's browser subscribes to Web Push and registers the subscription.
    const push = await startPushService();
    const browser = newTestBrowser();
    const device = await stack.query({
      query: 'mutation($input: PushDeviceInput!) { registerPushDevice(input: $input) { id platform } }',
      variables: { input: { platform: 'WEB_PUSH', token: subscriptionOf(browser, `${push.url}/push/ada`) } },
      token: a.token,
    });
    expect(device.errors).toBeUndefined();
    // A reads first: an empty feed, and now A's timeline exists and receives fan-out.
    const empty = await stack.query({ query: FEED, token: a.token });
    expect(empty.errors).toBeUndefined();
    expect(empty.data!.feed.edges).toEqual([]);

    const followed = await stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: b.id }, token: a.token });
    expect(followed.errors).toBeUndefined();
    const older = await stack.createPhotoPost(a.token, 'my own');
    const postId = await stack.createPhotoPost(b.token, 'hello from bob #first');

    await expect
      .poll(async () => (await stack.query({ query: FEED, token: a.token })).data?.feed.edges.map((e: any) => e.node.id), { timeout: 20_000, interval: 100 })
      .toEqual([postId, older]);
    const feed = (await stack.query({ query: FEED, token: a.token })).data!.feed;
    expect(feed.edges[0].node).toMatchObject({
      caption: 'hello from bob #first',
      author: { username: 'bob_feed', followerCount: 1 },
      media: [{ width: 640 }],
      likeCount: 0,
      viewerHasLiked: false,
    });
    expect(feed.pageInfo.hasNextPage).toBe(false);

    await expect
      .poll(async () => (await stack.query({ query: NOTIFICATIONS, token: a.token })).data?.notifications.edges.map((e: any) => e.node.kind), { timeout: 10_000, interval: 100 })
      .toEqual(['NEW_POST']);
    const mine = (await stack.query({ query: NOTIFICATIONS, token: a.token })).data!;
    expect(mine.notifications.edges[0].node).toMatchObject({ actor: { username: 'bob_feed' }, post: { id: postId, caption: 'hello from bob #first' }, read: false });
    expect(mine.unreadNotificationCount).toBe(1);

    // ... and A's registered browser is pushed it, encrypted to its keys and signed with VAPID.
    await expect.poll(() => push.received.length, { timeout: 10_000, interval: 50 }).toBe(1);
    const [delivered] = push.received;
    expect(delivered!.path).toBe('/push/ada');
    expect(String(delivered!.headers.authorization)).toMatch(/^vapid t=.+, k=.+/);
    const payload = JSON.parse(decryptWebPush(delivered!.body, browser));
    expect(payload).toMatchObject({
      title: expect.stringContaining('bob_feed'),
      data: { kind: 'NEW_POST', postId, notificationId: mine.notifications.edges[0].node.id },
    });
    await push.close();

    // B hears of the follow, the like and the comment, each hydrated from its own subgraph.
    await stack.query({ query: 'mutation($id: ID!) { likePost(postId: $id) { id } }', variables: { id: postId }, token: a.token });
    await stack.query({ query: 'mutation($id: ID!) { addComment(postId: $id, text: "nice") { id } }', variables: { id: postId }, token: a.token });
    await expect
      .poll(async () => (await stack.query({ query: NOTIFICATIONS, token: b.token })).data?.notifications.edges.map((e: any) => e.node.kind), { timeout: 10_000, interval: 100 })
      .toEqual(['COMMENT', 'LIKE', 'FOLLOW']);
    const theirs = (await stack.query({ query: NOTIFICATIONS, token: b.token })).data!;
    expect(theirs.notifications.edges[0].node).toMatchObject({ actor: { username: 'ada_feed' }, comment: { text: 'nice' }, post: { id: postId } });

    const read = await stack.query({ query: 'mutation { markNotificationsRead }', token: b.token });
    expect(read.data!.markNotificationsRead).toBe(3);

    // B deletes the post: media forgets it at once; A's feed drops it once the feed worker has
    // handled post.deleted (milliseconds), and no read in between fails: the reference resolves
    // to media's tombstone.
    await stack.query({ query: 'mutation($id: ID!) { deletePost(id: $id) }', variables: { id: postId }, token: b.token });
    expect((await stack.query({ query: 'query($id: ID!) { post(id: $id) { id } }', variables: { id: postId }, token: a.token })).data).toEqual({ post: null });
    await expect
      .poll(async () => {
        const after = await stack.query({ query: FEED, token: a.token });
        if (after.errors) throw new Error(JSON.stringify(after.errors));
        return after.data!.feed.edges.map((e: any) => e.node.id);
      }, { timeout: 10_000, interval: 20 })
      .toEqual([older]);
  }, 60_000);

  it('answers feed and notifications without a viewer with UNAUTHENTICATED', async () => {
    const feed = await stack.query({ query: FEED });
    expect(feed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const count = await stack.query({ query: '{ unreadNotificationCount }' });
    expect(count.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
