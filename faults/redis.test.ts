import { Queue } from 'bullmq';
import { queuePrefix } from '@shutter/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, duplicates, kindOf, liveClient, probe, slowest, startPushService, tally, type Answer } from './client.ts';
import { report, sleep, startShutter, waitFor, type Shutter } from './harness.ts';

/**
 * Redis failing under npm start: stopped while people post and read, then flushed at each stage
 * of a post's life. Every effect of every event must still happen, once: posts published, in
 * every follower's feed, each follower notified and pushed once.
 */
let shutter: Shutter;
let api: Api;
let push: Awaited<ReturnType<typeof startPushService>>;
let author: { id: string; token: string };
let readers: { id: string; token: string }[];
const queues: Queue[] = [];

beforeAll(async () => {
  shutter = await startShutter('redis');
  api = new Api(shutter.gatewayUrl);
  push = await startPushService();
  author = await api.signUp('redis_author');
  await push.register(api, author.token, 'author');
  readers = [await api.signUp('redis_reader1'), await api.signUp('redis_reader2')];
  for (const [i, reader] of readers.entries()) {
    await api.follow(reader.token, author.id);
    await api.feed(reader.token); // their timelines exist from now on
    await push.register(api, reader.token, `reader${i + 1}`);
  }
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  await push?.close();
  await shutter?.destroy();
});

/** A queue of the installation, as an operator's tool sees it (to hold its jobs back). */
function queue(name: string): Queue {
  const q = new Queue(name, { connection: { url: shutter.redis.url, maxRetriesPerRequest: null }, prefix: queuePrefix(shutter.prefix, name) });
  q.on('error', () => undefined);
  queues.push(q);
  return q;
}

const pushesOf = (kind: string, postId: string | null, actorId?: string) =>
  push.received.filter((r) => r.kind === kind && (postId === null || r.postId === postId) && (!actorId || r.actorId === actorId)).map((r) => r.device);

/**
 * Where each post's effects stand: published, in each reader's feed, each reader notified, each
 * reader's device pushed. `done` when all are there; `lost` and `duplicated` count what is
 * missing or there twice.
 */
async function effects(postIds: string[]) {
  const feeds = await Promise.all(readers.map((r) => api.feedIds(r.token, 100)));
  const notified = await Promise.all(readers.map((r) => api.notificationKeys(r.token, 100)));
  const published = await Promise.all(postIds.map((id) => api.published(id)));
  let lost = 0;
  let duplicated = 0;
  for (const [i, postId] of postIds.entries()) {
    if (!published[i]) lost++;
    for (const [r, ids] of feeds.entries()) {
      const n = ids.filter((id) => id === postId).length;
      lost += n === 0 ? 1 : 0;
      duplicated += Math.max(0, n - 1);
      const notes = notified[r]!.filter((k) => k === `NEW_POST:${postId}`).length;
      lost += notes === 0 ? 1 : 0;
      duplicated += Math.max(0, notes - 1);
      const pushes = pushesOf('NEW_POST', postId).filter((d) => d === `reader${r + 1}`).length;
      lost += pushes === 0 ? 1 : 0;
      duplicated += Math.max(0, pushes - 1);
    }
  }
  return { done: lost === 0, lost, duplicated };
}

/** Waits until every effect of the posts has happened; how long that took. */
async function settled(what: string, postIds: string[], timeoutMs = 60_000) {
  const { ms } = await waitFor(what, async () => (await effects(postIds)).done, timeoutMs, 200);
  return ms;
}

describe('Redis stopped while people post and read', () => {
  it('the feed answers from Postgres, posts wait; once Redis is back every post reaches every follower once', async () => {
    const before = await api.post(author.token, 'before the outage');
    await settled('the first post everywhere', [before]);

    await shutter.redis.stop();
    const outageStarted = performance.now();
    const feedReads = probe(() => api.feed(readers[0]!.token, 20));
    const notificationReads = probe(() => api.gql('{ notifications(first: 5) { edges { node { kind } } } unreadNotificationCount }', {}, readers[1]!.token));
    const profileReads = probe(() => api.gql('query($u: String!) { user(username: $u) { username followerCount postCount } }', { u: 'redis_author' }));
    // Posting and liking go on: they are rows in Postgres (and outbox rows for what follows).
    const posted: string[] = [];
    const writes: Answer[] = [];
    for (let i = 0; i < 3; i++) {
      posted.push(await api.post(author.token, `posted during the outage ${i}`));
      await sleep(500);
    }
    writes.push(await api.gql('mutation($id: ID!) { likePost(postId: $id) { likeCount } }', { id: before }, readers[0]!.token));
    const newcomer = await api.signUp('redis_newcomer');
    writes.push(await api.follow(newcomer.token, author.id));
    // The author sees their new posts (still processing: no worker can run without Redis).
    const own = await api.gql('query($id: ID!) { post(id: $id) { id } }', { id: posted[0] }, author.token);
    // A new live subscription is refused at once, with a reason.
    const live = liveClient(shutter.wsUrl, readers[1]!.token);
    const refused = live.subscribe('subscription { notificationAdded { id } }');
    await waitFor('the subscription refused', () => refused.errors.length > 0, 10_000);
    live.client.dispose();
    const readiness = (await (await fetch(new URL('/readyz', shutter.gatewayUrl))).json()) as { status: string; dependencies: Record<string, { status: string }> };
    while (performance.now() - outageStarted < 10_000) await sleep(100);
    const [feeds, notes, profiles] = await Promise.all([feedReads.stop(), notificationReads.stop(), profileReads.stop()]);
    const outageMs = performance.now() - outageStarted;

    await shutter.redis.start();
    const restartedAt = performance.now();
    const recoveredMs = await settled('the outage posts everywhere', posted, 60_000);
    await waitFor('the like and follow notified', async () => {
      const keys = await api.notificationKeys(author.token);
      return keys.includes(`LIKE:${before}`) && keys.includes(`FOLLOW:${newcomer.id}`);
    }, 30_000);
    const allRecoveredMs = performance.now() - restartedAt;
    await sleep(3000);
    const outcome = await effects([before, ...posted]);

    expect(tally(feeds)).toMatch(/^ok ×\d+$/);
    expect(feeds.every((a) => a.data!.feed.edges.some((e: { node: { id: string } }) => e.node.id === before))).toBe(true);
    expect(tally(notes)).toMatch(/^ok ×\d+$/);
    expect(tally(profiles)).toMatch(/^ok ×\d+$/);
    expect(writes.map(kindOf)).toEqual(['ok', 'ok']);
    expect(own.data?.post?.id).toBe(posted[0]);
    expect(String(refused.errors[0])).toBeDefined();
    expect(readiness.status).toBe('degraded');
    expect(readiness.dependencies.redis?.status).toBe('down');
    expect(outcome).toEqual({ done: true, lost: 0, duplicated: 0 });
    expect(duplicates(pushesOf('LIKE', before))).toEqual([]);
    expect(pushesOf('FOLLOW', null, newcomer.id)).toEqual(['author']);
    report(
      `Redis stopped ${(outageMs / 1000).toFixed(0)} s while people post and read: feed reads ${tally(feeds)} (from Postgres; slowest ${slowest(feeds)} ms), ` +
        `notifications ${tally(notes)}, profiles ${tally(profiles)}; 3 posts, a like, a sign-up and a follow all ok (posts visible to their author, processing); ` +
        `a new subscription refused at once; gateway /readyz ${readiness.status} (redis ${readiness.dependencies.redis?.status}); ` +
        `after Redis came back (AOF): every post published, in both feeds, notified and pushed in ${(recoveredMs / 1000).toFixed(1)} s, the like and follow in ${(allRecoveredMs / 1000).toFixed(1)} s; ` +
        `lost ${outcome.lost}, duplicated ${outcome.duplicated}`,
    );
  });
});

describe('Redis FLUSHALL at each stage of a post\'s life', () => {
  /**
   * Holds a queue's jobs back (BullMQ's pause: they wait in Redis, as under a slow worker), runs
   * `act`, waits until one of its jobs is in Redis, then flushes everything. Returns what `act`
   * gave and when the flush happened.
   */
  async function flushWhileWaiting<T>(queueName: string, act: () => Promise<T>): Promise<{ value: T; flushedAt: number }> {
    const held = queue(queueName);
    await held.pause();
    const value = await act();
    await waitFor(`a ${queueName} job waiting`, async () => Object.values(await held.getJobCounts('paused', 'waiting')).some((n) => n > 0), 60_000, 50);
    await shutter.redisClient.flushall();
    return { value, flushedAt: performance.now() };
  }

  const flushedPosts: string[] = [];
  const stages: { stage: string; queue: string }[] = [
    { stage: 'upload received, its processing job waiting', queue: 'media.process-upload' },
    { stage: 'post published, its fan-out job waiting', queue: 'feed.post-created' },
    { stage: 'fanned out, its push jobs waiting', queue: 'users.push-notification' },
    { stage: 'pushes planned, their delivery jobs waiting', queue: 'users.push-deliver' },
  ];

  for (const { stage, queue: queueName } of stages) {
    it(`${stage} (${queueName}): the reconciler re-emits what was lost; every effect once`, async () => {
      const reads = probe(() => api.feed(readers[0]!.token, 20), 200);
      const { value: postId } = await flushWhileWaiting(queueName, () => api.post(author.token, `flushed at ${queueName}`));
      const recoveredMs = await settled(`every effect of the post flushed at ${queueName}`, [postId], 60_000);
      const answers = await reads.stop();
      flushedPosts.push(postId);
      await sleep(1000); // (the last test checks again, after two more reconciler passes)
      const outcome = await effects([postId]);
      expect(tally(answers)).toMatch(/^ok ×\d+$/);
      expect(outcome).toEqual({ done: true, lost: 0, duplicated: 0 });
      report(
        `FLUSHALL, ${stage}: feed reads ${tally(answers)}; every effect (published, both feeds, both notified, both pushed) ${(recoveredMs / 1000).toFixed(1)} s after the flush; lost ${outcome.lost}, duplicated ${outcome.duplicated}`,
      );
    });
  }

  it('a follow, its job waiting (feed.follow-created): the followee is notified once', async () => {
    const follower = await api.signUp('redis_follower');
    await flushWhileWaiting('feed.follow-created', () => api.follow(follower.token, author.id));
    const { ms } = await waitFor('the FOLLOW notification', async () => (await api.notificationKeys(author.token)).includes(`FOLLOW:${follower.id}`), 60_000, 200);
    await sleep(1000);
    const keys = (await api.notificationKeys(author.token)).filter((k) => k === `FOLLOW:${follower.id}`);
    const pushes = pushesOf('FOLLOW', null, follower.id);
    expect(keys).toHaveLength(1);
    expect(pushes).toEqual(['author']);
    report(`FLUSHALL, a follow's job waiting (feed.follow-created): FOLLOW notified and pushed ${(ms / 1000).toFixed(1)} s after the flush; lost 0, duplicated 0`);
  });

  it('after everything is done: feeds are rebuilt from Postgres, nothing runs again', async () => {
    const postId = await api.post(author.token, 'settled before the flush');
    await settled('the post everywhere', [postId]);
    const [pushesBefore, notesBefore] = [push.received.length, await Promise.all(readers.map((r) => api.notificationKeys(r.token, 100)))];
    const feedsBefore = await Promise.all(readers.map((r) => api.feedIds(r.token, 100)));
    await shutter.redisClient.flushall();
    const reads = probe(() => api.feed(readers[0]!.token, 100), 100);
    // Two reconciler passes: confirmed events are not re-emitted, so nothing is pushed or notified again.
    await sleep(21_000);
    const answers = await reads.stop();
    const feedsAfter = await Promise.all(readers.map((r) => api.feedIds(r.token, 100)));
    const notesAfter = await Promise.all(readers.map((r) => api.notificationKeys(r.token, 100)));
    expect(tally(answers)).toMatch(/^ok ×\d+$/);
    expect(answers.every((a) => a.data!.feed.edges.length === feedsBefore[0]!.length)).toBe(true);
    expect(feedsAfter).toEqual(feedsBefore);
    expect(notesAfter).toEqual(notesBefore);
    expect(push.received.length).toBe(pushesBefore);
    // And every post flushed at a stage above still has each of its effects once.
    expect(await effects(flushedPosts)).toEqual({ done: true, lost: 0, duplicated: 0 });
    expect(duplicates(push.received.map((r) => `${r.device}:${r.notificationId}`))).toEqual([]);
    report(
      `FLUSHALL after everything is done: feed reads ${tally(answers)} (each feed rebuilt from Postgres on its first read, identical); over two reconciler passes no event ran again (0 new notifications, 0 new pushes, every earlier flushed post's effects still once); lost 0, duplicated 0`,
    );
  });
});
