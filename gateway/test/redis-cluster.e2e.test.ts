import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisClusterToolsInstalled, startRedisCluster, type TestRedisCluster } from '@shutter/testing';
import { startStack, type Stack } from './stack.ts';

/**
 * The whole product on a Redis Cluster of three masters (redis-cli --cluster create): every
 * service, worker and the gateway given REDIS_URL=redis-cluster://..., so BullMQ's queues, the
 * fan-out's scripts, the followed-celebrity sets, live pub/sub and the rate limits all run on it.
 * A script or BullMQ call whose keys span hash slots is refused there (CROSSSLOT), so this fails
 * when a queue prefix is not hash-tagged or a multi-key script is not split by slot.
 */
const tools = redisClusterToolsInstalled();
if (!tools) console.warn('redis-cluster.e2e: skipped, redis-server / redis-cli are not installed (apt-get install redis-server)');

let cluster: TestRedisCluster;
let stack: Stack;
const clients: Client[] = [];
const nodes: Redis[] = [];

beforeAll(async () => {
  if (!tools) return;
  cluster = await startRedisCluster();
  // Five followers make a celebrity: the author below (four) is fanned out, the star (five) promoted.
  stack = await startStack({ redisUrl: cluster.url, feedEnv: { CELEBRITY_FOLLOWER_THRESHOLD: '5' } });
  for (const port of cluster.ports) nodes.push(new Redis(port, '127.0.0.1'));
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  nodes.forEach((n) => n.disconnect());
  await stack?.close();
  await cluster?.destroy();
});

const follow = (token: string, userId: string) => stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: userId }, token });
const feedCaptions = async (token: string) => ((await stack.query({ query: '{ feed { edges { node { caption } } } }', token })).data?.feed.edges ?? []).map((e: any) => e.node.caption as string);

function live(token: string, query: string) {
  const client = createClient({ url: stack.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {}, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  const messages: any[] = [];
  client.subscribe({ query }, { next: (m) => messages.push(m), error: () => {}, complete: () => {} });
  return messages;
}

/** The masters holding keys that match: each node lists only the keys of its own slots. */
async function mastersHolding(pattern: string): Promise<number[]> {
  const holding: number[] = [];
  for (const [i, node] of nodes.entries()) {
    const [, keys] = await node.scan('0', 'MATCH', pattern, 'COUNT', 100_000);
    if (keys.length > 0) holding.push(cluster.ports[i]!);
  }
  return holding;
}

describe.skipIf(!tools)('on a Redis Cluster of three masters', () => {
  it('a photo post goes through the queues, is fanned out to timelines on several masters, read in each feed and pushed live; likes notify live; a celebrity is promoted', async () => {
    const started = performance.now();
    const author = await stack.signUp('cl_author');
    const followers = await Promise.all(['cl_f1', 'cl_f2', 'cl_f3', 'cl_f4'].map((name) => stack.signUp(name)));
    for (const f of followers) {
      await follow(f.token, author.id);
      expect(await feedCaptions(f.token)).toEqual([]); // builds the (empty) timeline: the fan-out writes into it
    }
    // The four timelines are on more than one master: the fan-out's script calls had to be split by slot.
    expect((await mastersHolding(`${stack.queuePrefix}:timeline:*`)).length).toBeGreaterThanOrEqual(2);

    const feedAdded = live(followers[0]!.token, 'subscription { feedPostAdded { id caption author { username } } }');
    const notified = live(author.token, 'subscription { notificationAdded { kind actor { username } } }');
    await expect.poll(() => Object.keys(stack.gateway.liveChannels()).filter((c) => c.endsWith(followers[0]!.id) || c.endsWith(author.id)).length, { timeout: 10_000 }).toBe(2);

    // media.process-upload (the photo), then post.created to feed.post-created (the fan-out), all on the cluster.
    const postId = await stack.createPhotoPost(author.token, 'clustered');
    for (const f of followers) await expect.poll(() => feedCaptions(f.token), { timeout: 15_000 }).toEqual(['clustered']);
    await expect.poll(() => feedAdded.length, { timeout: 10_000 }).toBe(1);
    expect(feedAdded[0]).toEqual({ data: { feedPostAdded: { id: postId, caption: 'clustered', author: { username: 'cl_author' } } } });

    // feed.post-liked: a notification in Postgres, then live on the author's channel.
    const liked = await stack.query({ query: 'mutation($id: ID!) { likePost(postId: $id) { likeCount } }', variables: { id: postId }, token: followers[1]!.token });
    expect(liked.errors).toBeUndefined();
    await expect.poll(() => notified.map((m) => m.data?.notificationAdded), { timeout: 15_000 }).toContainEqual({ kind: 'LIKE', actor: { username: 'cl_f2' } });

    // A star with five followers (the four and the author): its first post promotes it (the
    // per-slot PROMOTE script), and it reaches every follower's feed by the merge at read.
    const star = await stack.signUp('cl_star');
    for (const f of [...followers, author]) await follow(f.token, star.id);
    await stack.createPhotoPost(star.token, 'famous on a cluster');
    for (const f of [...followers, author]) await expect.poll(async () => (await feedCaptions(f.token))[0], { timeout: 15_000 }).toBe('famous on a cluster');
    await expect.poll(() => feedAdded.map((m) => m.data?.feedPostAdded.caption), { timeout: 10_000 }).toEqual(['clustered', 'famous on a cluster']);

    // The queues' keys are spread over the masters too (one slot per queue, by its {queue} tag),
    // and the gateway counted its rate limits in the cluster (not in its per-process fallback).
    expect((await mastersHolding(`${stack.queuePrefix}:{*`)).length).toBeGreaterThanOrEqual(2);
    expect((await mastersHolding(`${stack.queuePrefix}:ratelimit:*`)).length).toBeGreaterThanOrEqual(1);
    console.log(`redis-cluster.e2e: the scenario took ${Math.round(performance.now() - started)} ms on the cluster`);
  }, 120_000);
});
