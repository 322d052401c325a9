import { Queue, QueueEvents } from 'bullmq';
import { queuePrefix } from '@shutter/events';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@shutter/db';
import { testRedisUrl } from '@shutter/testing';
import { fanOutPost } from '../src/jobs/post-created.ts';
import { removePost } from '../src/jobs/post-deleted.ts';
import { startFeedWorker } from '../src/jobs/index.ts';
import { startFaultyProxy, startFeedHarness, type FeedHarness } from './harness.ts';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness();
}, 60_000);
afterAll(async () => h?.close());

const ids = (n: number) => Array.from({ length: n }, () => newId());

/** An author, a follower whose timeline is built, and the author's post.created, not yet handled. */
async function followedPost() {
  const author = newId();
  const reader = newId();
  await h.follow([reader], author);
  await h.buildTimelines([reader]);
  return { author, reader, post: await h.post(author) };
}

async function countNotifications(kind: string, postId: string): Promise<number> {
  const rows = await h.database.sql`select count(*)::int as n from notifications where kind = ${kind} and post_id = ${postId}`;
  return rows[0]!.n as number;
}

describe('fan-out on post.created', () => {
  it('writes the post once into every existing follower timeline, page by page, and notifies each follower once', async () => {
    const author = newId();
    const followers = ids(2_500); // three pages of the internal endpoint
    await h.follow(followers, author);
    const active = followers.slice(0, 2_400); // the last 100 have no timeline (idle users)
    await h.buildTimelines([author, ...active]);
    const post = await h.post(author);

    const live = new Redis(testRedisUrl());
    const received: string[] = [];
    await live.subscribe(h.deps.live.feed(followers[0]!), h.deps.live.notifications(followers[0]!));
    live.on('message', (channel, message) => received.push(`${channel.split(':').at(-2)}:${JSON.parse(message).id}`));

    const result = await fanOutPost(h.deps, post);
    expect(result).toMatchObject({ followers: 2_500, celebrity: false, timelinesWritten: 2_401, notified: 2_500 });

    const pipeline = h.redis.pipeline();
    for (const id of [author, ...followers]) pipeline.zscore(h.deps.timelines.key(id), post.postId);
    const scores = (await pipeline.exec())!.map(([, score]) => score);
    expect(scores.slice(0, 2_401).every((s) => Number(s) === Date.parse(post.createdAt))).toBe(true);
    // An idle user's timeline is not created by the fan-out: the first read rebuilds it, post included.
    expect(scores.slice(2_401).every((s) => s === null)).toBe(true);
    expect(await h.deps.timelines.isBuilt(followers.at(-1)!)).toBe(false);
    expect((await h.feedIds(followers.at(-1)!)).ids).toEqual([post.postId]);

    expect(await countNotifications('NEW_POST', post.postId)).toBe(2_500);
    // Their pushes are queued one event per page of notifications: three events for 2,500.
    const outbox = await h.database.sql`
      select count(*)::int as events, sum(jsonb_array_length(payload->'notifications'))::int as notifications
      from outbox where event = 'notification.created' and payload->'notifications'->0->>'postId' = ${post.postId}`;
    expect(outbox[0]).toEqual({ events: 3, notifications: 2_500 });

    // Run again (a re-delivered job): nothing doubles.
    expect(await fanOutPost(h.deps, post)).toMatchObject({ timelinesWritten: 0, notified: 0 });
    expect(await h.redis.zcard(h.deps.timelines.key(followers[0]!))).toBe(2); // the marker and the post
    expect(await countNotifications('NEW_POST', post.postId)).toBe(2_500);

    await new Promise((r) => setTimeout(r, 100));
    expect(received).toContain(`feed:${post.postId}`);
    expect(received.filter((r) => r.startsWith('notifications:'))).toHaveLength(1);
    await live.quit();
  }, 60_000);

  it('keeps every timeline at the cap, dropping the oldest posts', async () => {
    const author = newId();
    const reader = newId();
    await h.follow([reader], author);
    await h.buildTimelines([reader]);
    const base = Date.now() - 1_000_000;
    const entries = Array.from({ length: h.config.TIMELINE_MAX_POSTS + 5 }, (_, i) => ({ postId: newId(), score: base + i }));
    for (const entry of entries) await h.deps.timelines.addToMany([reader], entry);
    const key = h.deps.timelines.key(reader);
    expect(await h.redis.zcard(key)).toBe(h.config.TIMELINE_MAX_POSTS + 1); // + the marker
    expect(await h.redis.zscore(key, entries[4]!.postId)).toBeNull();
    expect(await h.redis.zscore(key, entries[5]!.postId)).not.toBeNull();
  });

  it('does not fan out a post deleted before its post.created was handled', async () => {
    const { author, reader, post } = await followedPost();
    await removePost(h.deps, { postId: post.postId, authorId: author });
    expect(await fanOutPost(h.deps, post)).toMatchObject({ timelinesWritten: 0, notified: 0 });
    expect(await h.redis.zscore(h.deps.timelines.key(reader), post.postId)).toBeNull();
  });

  it('does not fan out a post whose post.deleted is being handled at that moment', async () => {
    const { author, reader, post } = await followedPost();
    // post.deleted's tombstone, inserted in a transaction still open when the fan-out records the
    // post: the fan-out must wait for it and see it, not go on from the snapshot before it.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    const deleting = h.database.sql.begin(async (tx) => {
      await tx`insert into feed_posts (post_id, author_id, created_at, deleted_at) values (${post.postId}, ${author}, now(), now())`;
      await committed;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fanOut = fanOutPost(h.deps, post);
    await new Promise((resolve) => setTimeout(resolve, 200));
    commit();
    await deleting;
    expect(await fanOut).toMatchObject({ timelinesWritten: 0, notified: 0 });
    expect(await h.redis.zscore(h.deps.timelines.key(reader), post.postId)).toBeNull();
  });
});

describe('the fan-out worker', () => {
  it('retries a job that failed mid-fan-out, and every timeline ends with the post exactly once', async () => {
    const author = newId();
    const followers = ids(3_000);
    await h.follow(followers, author);
    await h.buildTimelines(followers);
    const post = await h.post(author);

    // The third page of followers fails once: two pages are written when the job dies.
    const proxy = await startFaultyProxy(h.socialGraph.url, '/internal/follower-ids', 3);
    const worker = await startFeedWorker({ ...h.config, SOCIAL_GRAPH_URL: `${proxy.url}/graphql` }, { logger: pino({ level: 'silent' }) });
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue('feed.post-created', { connection, prefix: queuePrefix(h.config.QUEUE_PREFIX, 'feed.post-created') });
    const events = new QueueEvents('feed.post-created', { connection: new Redis(testRedisUrl(), { maxRetriesPerRequest: null }), prefix: queuePrefix(h.config.QUEUE_PREFIX, 'feed.post-created') });
    await events.waitUntilReady();
    try {
      const job = await queue.add(
        'post.created',
        { event: 'post.created', eventId: newId(), payload: post },
        { jobId: newId(), attempts: 3, backoff: { type: 'fixed', delay: 50 } },
      );
      await job.waitUntilFinished(events, 30_000);
      const finished = await queue.getJob(job.id!);
      expect(finished?.attemptsMade).toBe(2);
      expect(proxy.requests()).toBeGreaterThanOrEqual(3 + 3); // three pages, twice

      const pipeline = h.redis.pipeline();
      for (const id of followers) pipeline.zcount(h.deps.timelines.key(id), Date.parse(post.createdAt), Date.parse(post.createdAt));
      const counts = (await pipeline.exec())!.map(([, n]) => n);
      expect(counts.every((n) => n === 1)).toBe(true);
      expect(await countNotifications('NEW_POST', post.postId)).toBe(3_000);
    } finally {
      await queue.close();
      await events.close();
      await worker.close();
      await proxy.close();
      connection.disconnect();
    }
  }, 60_000);
});
