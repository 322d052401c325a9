import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@shutter/db';
import { signedGraphql, startPrivateRedis, type PrivateRedis } from '@shutter/testing';
import type { RunningSubgraph } from '@shutter/service';
import { fanOutPost } from '../src/jobs/post-created.ts';
import { startFeedService } from '../src/service.ts';
import { startFeedHarness, type FeedHarness } from './harness.ts';

/**
 * The feed with a part of it down: a feed service over a Redis of this file's own, which is
 * stopped and started again; and social-graph stopped. The feed answers from Postgres while Redis
 * is away, and says which part is unavailable when it cannot answer.
 */
let h: FeedHarness;
let redis: PrivateRedis;
let feed: RunningSubgraph;

beforeAll(async () => {
  h = await startFeedHarness({ env: { CELEBRITY_FOLLOWER_THRESHOLD: '2' } });
  redis = await startPrivateRedis();
  feed = await startFeedService({ ...h.config, REDIS_URL: redis.url, FEED_PORT: 0 }, { logger: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await feed?.close();
  await redis?.destroy();
  await h?.close();
});

const FEED = 'query($first: Int, $after: String) { feed(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }';
const read = (viewerId: string, first: number, after: string | null = null) =>
  signedGraphql(`${feed.url}/graphql`, h.config.GATEWAY_SIGNING_SECRET, { query: FEED, variables: { first, after }, viewerId });
const ids = (response: Awaited<ReturnType<typeof read>>) => response.data?.feed.edges.map((e: { node: { id: string } }) => e.node.id);
const readyz = async () => {
  const response = await fetch(`${feed.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; dependencies: Record<string, { status: string }> } };
};
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

describe('the feed with Redis down', () => {
  it('answers the same posts, in the same pages, from Postgres; /readyz says degraded; Redis back, timelines again', async () => {
    const [reader, alice, star, fan1, fan2] = [newId(), newId(), newId(), newId(), newId()];
    await h.follow([reader], alice);
    // A celebrity (three followers, threshold two): merged in at read, never fanned out.
    await h.follow([reader, fan1, fan2], star);
    const posts = [
      await h.post(alice, minutesAgo(50)),
      await h.post(star, minutesAgo(40)),
      await h.post(reader, minutesAgo(30)),
      await h.post(alice, minutesAgo(20)),
      await h.post(star, minutesAgo(10)),
    ];
    for (const post of posts) await fanOutPost(h.deps, post);
    const newestFirst = posts.map((p) => p.postId).reverse();

    const fromTimeline = await read(reader, 3);
    expect(ids(fromTimeline)).toEqual(newestFirst.slice(0, 3));
    expect((await readyz()).body.status).toBe('ready');

    await redis.stop();
    const first = await read(reader, 3);
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual(fromTimeline.data);
    // Paging on with the cursor the timeline gave, and back.
    const second = await read(reader, 3, first.data!.feed.pageInfo.endCursor);
    expect(ids(second)).toEqual(newestFirst.slice(3));
    expect(second.data!.feed.pageInfo.hasNextPage).toBe(false);
    // (Reports are reused for a second.)
    await expect.poll(async () => (await readyz()).body.status, { timeout: 5000 }).toBe('degraded');
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.dependencies).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'down' }, 'social-graph': { status: 'up' } });

    await redis.start();
    await expect.poll(async () => (await readyz()).body.status, { timeout: 10_000 }).toBe('ready');
    // The restarted Redis is empty (no persistence here): the timeline is rebuilt from Postgres.
    expect(ids(await read(reader, 10))).toEqual(newestFirst);
    const own = new Redis(redis.url);
    expect(await own.exists(h.deps.timelines.key(reader))).toBe(1);
    own.disconnect();
  });
});

describe('the feed with social-graph down', () => {
  it('answers readers whose timeline exists, and names social-graph (SERVICE_UNAVAILABLE) for one that must be rebuilt', async () => {
    const [built, missing, author] = [newId(), newId(), newId()];
    await h.follow([built, missing], author);
    await h.buildTimelines([built]);
    const post = await h.post(author);
    await fanOutPost(h.deps, post);
    // Through the harness's feed service, whose Redis is the shared one the timelines are in.
    const through = (viewerId: string) => h.call(FEED, { first: 5 }, viewerId);
    expect((await through(built)).data?.feed.edges).toHaveLength(1);

    await h.socialGraph.close();
    const answered = await through(built);
    expect(answered.errors).toBeUndefined();
    expect(answered.data?.feed.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([post.postId]);
    const refused = await through(missing);
    expect(refused.data).toBeNull();
    expect(refused.errors).toEqual([expect.objectContaining({ path: ['feed'], extensions: { code: 'SERVICE_UNAVAILABLE', service: 'social-graph' } })]);
  });
});
