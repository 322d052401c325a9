/**
 * Feed, in one run, with every service and worker started in this process as gateway/test/stack.ts
 * does (fresh databases bench_feed_*, one QUEUE_PREFIX `bench-feed`):
 *  1. fan-out latency: `createPost` returns → the post is in EVERY follower's timeline, for authors
 *     with 1,000 / 10,000 / 100,000 followers, along the real path (media createPost → outbox →
 *     media worker's relay → BullMQ feed.post-created → feed worker → social-graph's internal
 *     follower-ids endpoint → Redis). Targets: < 50 ms / < 200 ms / < 1 s.
 *  2. timeline inserts per second of the feed's own write path (TimelineStore.addToMany, 800 cap)
 *     against `redis-benchmark -t zadd -P 1000` in the same run. Target: >= 50% of the ceiling.
 *  3. the home `feed` (20 posts with author, images, counts, viewerHasLiked) through the gateway,
 *     against the same subgraph calls made directly along the gateway's query plan. Targets:
 *     gateway <= 1.25x direct; p99 < 50 ms with 16 concurrent clients (throughput at 64 reported).
 *   npx tsx bench/feed.ts
 *   FEED_BENCH_SIZES=1000,10000 npx tsx bench/feed.ts     (a quick run: skips the 100k author)
 *   FEED_BENCH_RUNS=3                                     (runs per size; default 10 / 7 / 5)
 *   FEED_BENCH_CPU_PROFILE=/tmp                           (CPU profiles of the 16-client runs)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import inspector from 'node:inspector';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { pino } from 'pino';
import sharp from 'sharp';
import { generateAccessTokenKeys, signRequest } from '@shutter/auth';
import { newId } from '@shutter/db';
import { createRedisConnection } from '@shutter/events';
import { FEED_QUEUES, createFeedDeps, feedMigrationsFolder, loadFeedConfig, startFeedService, startFeedWorker, type TimelineStore } from '@shutter/feed';
import { loadMediaConfig, mediaMigrationsFolder, startMediaService, startMediaWorker } from '@shutter/media';
import { loadSocialGraphConfig, socialGraphMigrationsFolder, startSocialGraphService, startSocialGraphWorker } from '@shutter/social-graph';
import { startUsersService, usersMigrationsFolder, usersTestConfig } from '@shutter/users';
import { loadGatewayConfig } from '../gateway/src/config.ts';
import { startGateway } from '../gateway/src/gateway.ts';
import { createFeedDatabase } from '../subgraphs/feed/src/db/client.ts';
import { benchInfra, dropDatabase, freshDatabase, progress, round, timeIt } from './lib.ts';

const SIZES = (process.env.FEED_BENCH_SIZES ?? '1000,10000,100000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const runsFor = (size: number) => Number(process.env.FEED_BENCH_RUNS) || (size >= 100_000 ? 5 : size >= 10_000 ? 7 : 10);
const PREFIX = 'bench-feed';
const RATE_TIMELINES = 100_000;
const PAGE = 1000;
const started = Date.now();
const loadBefore = loadavg().map((n) => round(n));

const { pg, redis } = await benchInfra();
const redisUrl = new URL(redis.url);
const r = new Redis(redis.url);
const quiet = () => pino({ level: 'error' }, pino.destination(2));

/** Every key of this bench's prefix: timelines, BullMQ queues. */
async function cleanPrefix(): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 5000);
    if (keys.length > 0) n += await r.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return n;
}
const leftovers = await cleanPrefix();
if (leftovers > 0) progress(`removed ${leftovers} keys left under ${PREFIX}: by an earlier run`);

// ---------------------------------------------------------------------------------------------
// The stack, in this process, as gateway/test/stack.ts starts it.
progress('starting the stack (fresh databases bench_feed_*)…');
const names = { users: 'bench_feed_users', socialGraph: 'bench_feed_social_graph', media: 'bench_feed_media', feed: 'bench_feed_feed' };
const urls = {
  users: await freshDatabase(pg.adminUrl, names.users, usersMigrationsFolder),
  socialGraph: await freshDatabase(pg.adminUrl, names.socialGraph, socialGraphMigrationsFolder),
  media: await freshDatabase(pg.adminUrl, names.media, mediaMigrationsFolder),
  feed: await freshDatabase(pg.adminUrl, names.feed, feedMigrationsFolder),
};
const keys = await generateAccessTokenKeys();
const secret = randomBytes(32).toString('base64url');
const common = { GATEWAY_SIGNING_SECRET: secret, REDIS_URL: redis.url, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'error' };
const celebrityThreshold = Math.max(1_000_000, ...SIZES.map((s) => s * 2));

const users = await startUsersService(usersTestConfig(urls.users, { GATEWAY_SIGNING_SECRET: secret, ACCESS_TOKEN_PRIVATE_KEY: keys.privateKeyPem }, { REDIS_URL: redis.url, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'error' }), { logger: quiet() });
const socialGraphConfig = loadSocialGraphConfig({ ...common, SOCIAL_GRAPH_DATABASE_URL: urls.socialGraph, SOCIAL_GRAPH_PORT: '0', USERS_URL: `${users.url}/graphql` });
const socialGraph = await startSocialGraphService(socialGraphConfig, { logger: quiet() });
const socialGraphWorker = await startSocialGraphWorker(socialGraphConfig, { logger: quiet() });
const storageDir = mkdtempSync(join(tmpdir(), 'bench-feed-media-'));
const mediaConfig = loadMediaConfig({ ...common, MEDIA_DATABASE_URL: urls.media, MEDIA_PORT: '0', MEDIA_STORAGE_DIR: storageDir });
const media = await startMediaService(mediaConfig, { logger: quiet() });
const mediaWorker = await startMediaWorker(mediaConfig, { logger: quiet() });
const feedConfig = loadFeedConfig({
  ...common,
  FEED_DATABASE_URL: urls.feed,
  FEED_PORT: '0',
  SOCIAL_GRAPH_URL: `${socialGraph.url}/graphql`,
  MEDIA_URL: `${media.url}/graphql`,
  // Above the largest author, so that every author here is fanned out.
  CELEBRITY_FOLLOWER_THRESHOLD: String(celebrityThreshold),
});
const feed = await startFeedService(feedConfig, { logger: quiet() });
const feedWorker = await startFeedWorker(feedConfig, { logger: quiet() });
const gatewayEnv = { GATEWAY_PORT: '0', GATEWAY_SIGNING_SECRET: secret, ACCESS_TOKEN_PUBLIC_KEY: keys.publicKeyPem, LOG_LEVEL: 'error' };
const subgraphUrls = { users: `${users.url}/graphql`, 'social-graph': `${socialGraph.url}/graphql`, media: `${media.url}/graphql`, feed: `${feed.url}/graphql` };
const gateway = await startGateway(
  loadGatewayConfig({ ...gatewayEnv, USERS_URL: subgraphUrls.users, SOCIAL_GRAPH_URL: subgraphUrls['social-graph'], MEDIA_URL: subgraphUrls.media, FEED_URL: subgraphUrls.feed }),
  { logger: quiet() },
);

const socialGraphSql = postgres(urls.socialGraph, { max: 2, onnotice: () => {} });
const mediaSql = postgres(urls.media, { max: 2, onnotice: () => {} });
const feedSql = postgres(urls.feed, { max: 1, onnotice: () => {} });
const feedDatabase = createFeedDatabase(urls.feed, { max: 1 });
// The feed's own TimelineStore, with the feed's settings (prefix, 800 cap, TTL, live channels).
const timelines: TimelineStore = createFeedDeps(feedConfig, feedDatabase.db, r).timelines;
const queueConnection = createRedisConnection(redis.url);
const feedQueues = FEED_QUEUES.map((name) => new Queue(name, { connection: queueConnection, prefix: PREFIX }));
const postCreatedQueue = feedQueues[FEED_QUEUES.indexOf('feed.post-created')]!;
// notification.created goes to the users worker's queue; nobody consumes it here, so it is emptied between runs.
const pushQueue = new Queue('users.push-notification', { connection: queueConnection, prefix: PREFIX });

// ---------------------------------------------------------------------------------------------
// Helpers.
const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)!), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

/** A GraphQL request to a subgraph, signed as the gateway signs it. */
async function signed(url: string, payload: { query: string; variables?: unknown; operationName?: string }, viewerId: string | null): Promise<any> {
  const body = JSON.stringify(payload);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(secret, { viewerId, requestId: randomUUID(), body }) },
    body,
  });
  return response.json();
}

/** A GraphQL request through the gateway, as a client sends it. */
async function viaGateway(payload: { query: string; variables?: unknown }, token?: string): Promise<any> {
  const response = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(payload),
  });
  return response.json();
}

function must<T = any>(result: any, what: string): T {
  if (!result?.data || result.errors) throw new Error(`${what}: ${JSON.stringify(result?.errors ?? result).slice(0, 500)}`);
  return result.data as T;
}

const photo = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 80, b: 40 } } }).jpeg().toBuffer();
const CREATE_UPLOAD = 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }';
const CREATE_POST = 'mutation($input: CreatePostInput!) { createPost(input: $input) { id } }';

/** `n` uploads of a small JPEG, bytes sent, and processed by the media worker: a post of them is published at once. */
async function readyUploads(n: number, createUpload: () => Promise<any>): Promise<string[]> {
  const ids = await Promise.all(
    Array.from({ length: n }, async () => {
      const upload = must(await createUpload(), 'createUpload').createUpload as { id: string; uploadUrl: string };
      const put = await fetch(upload.uploadUrl, { method: 'PUT', body: photo });
      if (put.status !== 200) throw new Error(`PUT upload: ${put.status} ${await put.text()}`);
      return upload.id;
    }),
  );
  for (const deadline = Date.now() + 60_000; ; ) {
    const rows = await mediaSql<{ status: string; n: number }[]>`select status, count(*)::int as n from uploads where id = any(${ids}::uuid[]) group by status`;
    if (rows.some((row) => row.status === 'failed')) throw new Error('an upload failed to process');
    if (rows.find((row) => row.status === 'ready')?.n === n) return ids;
    if (Date.now() > deadline) throw new Error(`uploads not processed in 60 s: ${JSON.stringify(rows)}`);
    await sleep(20);
  }
}

const signedUploads = (authorId: string, n: number) =>
  readyUploads(n, () => signed(subgraphUrls.media, { query: CREATE_UPLOAD, variables: { input: { contentType: 'image/jpeg', byteSize: photo.length } } }, authorId));

/** Until no feed queue has work, the feed's and media's outboxes are relayed, and the un-consumed push jobs are gone. */
async function waitIdle(label: string): Promise<number> {
  const since = performance.now();
  let lastLine = since;
  for (;;) {
    const counts = await Promise.all(feedQueues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')));
    const jobs = counts.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    const [{ unsent: feedUnsent }] = (await feedSql`select count(*)::int as unsent from outbox where sent_at is null`) as unknown as [{ unsent: number }];
    const [{ unsent: mediaUnsent }] = (await mediaSql`select count(*)::int as unsent from outbox where sent_at is null`) as unknown as [{ unsent: number }];
    if (jobs === 0 && feedUnsent === 0 && mediaUnsent === 0) break;
    if (performance.now() - lastLine > 2000) {
      lastLine = performance.now();
      progress(`  ${label}: waiting for the feed worker: ${jobs} jobs, ${feedUnsent} feed outbox rows unsent (${((lastLine - since) / 1000).toFixed(0)} s)`);
    }
    if (performance.now() - since > 600_000) throw new Error('the feed worker did not become idle in 10 minutes');
    await sleep(50);
  }
  const waited = performance.now() - since;
  await pushQueue.obliterate({ force: true });
  return waited;
}

// ---------------------------------------------------------------------------------------------
// 1. Fan-out latency.
const SOCIAL_BASE = Date.UTC(2026, 0, 1);
let followEdges = 0;
/** An author with `count` followers (random ids), seeded straight into social-graph's tables; every follower's timeline made to exist. */
async function seedAuthor(count: number): Promise<{ authorId: string; followers: string[] }> {
  const authorId = newId();
  const followers = Array.from({ length: count }, () => newId());
  progress(`seeding ${count.toLocaleString()} followers…`);
  let t = performance.now();
  // Distinct created_at: follower 0 is the oldest follow, so it is on the last page the fan-out reads.
  const base = SOCIAL_BASE + followEdges;
  followEdges += count;
  for (const [i, chunk] of chunks(followers, 10_000).entries()) {
    const rows = chunk.map((followerId, j) => ({ follower_id: followerId, followee_id: authorId, created_at: new Date(base + i * 10_000 + j) }));
    await socialGraphSql`insert into follows ${socialGraphSql(rows)}`;
    if (count >= 50_000) progress(`  follows: ${Math.min(count, (i + 1) * 10_000).toLocaleString()} / ${count.toLocaleString()}`);
  }
  await socialGraphSql`insert into follow_counts (user_id, follower_count) values (${authorId}, ${count})`;
  await socialGraphSql`analyze follows`;
  progress(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s; making every follower's timeline exist…`);
  // The fan-out writes only timelines that exist (active users); a first read makes one. Here:
  // TimelineStore.rebuild with nothing to load, 1,000 at a time.
  t = performance.now();
  for (const [i, chunk] of chunks(followers, 1000).entries()) {
    await Promise.all(chunk.map((id) => timelines.rebuild(id, async () => [])));
    if (count >= 50_000 && (i + 1) % 20 === 0) progress(`  timelines: ${((i + 1) * 1000).toLocaleString()} / ${count.toLocaleString()}`);
  }
  progress(`  ${count.toLocaleString()} timelines made in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { authorId, followers };
}

/** How many of these timelines hold the post: pipelined ZSCOREs, 10,000 per round trip. */
async function countHolding(followers: string[], postId: string): Promise<number> {
  let n = 0;
  for (const chunk of chunks(followers, 10_000)) {
    const pipeline = r.pipeline();
    for (const id of chunk) pipeline.zscore(timelines.key(id), postId);
    const results = (await pipeline.exec()) ?? [];
    n += results.filter(([error, score]) => !error && score !== null).length;
  }
  return n;
}

interface RunResult {
  /** createPost returned → the post is in the last follower's timeline (the fan-out writes pages in order). */
  ms: number;
  holding: number;
  /** From createPost's return (negative: before it returned): the job added by media's relay, taken by the feed worker, finished (notifications included). */
  jobAddedMs: number | null;
  jobStartedMs: number | null;
  jobFinishedMs: number | null;
  timelinesWritten: number | null;
  notified: number | null;
  idleWaitMs: number;
}

async function fanOutRun(author: { authorId: string; followers: string[] }, uploadId: string, label: string): Promise<RunResult> {
  const lastKey = timelines.key(author.followers[0]!);
  // Polling runs on the worker's thread too: every ms up to 20k followers, every 5 ms for 100k.
  const pollMs = Math.max(1, Math.round(author.followers.length / 20_000));
  const created = must(await signed(subgraphUrls.media, { query: CREATE_POST, variables: { input: { uploadIds: [uploadId], caption: label } } }, author.authorId), 'createPost');
  const t0 = performance.now();
  const wall0 = Date.now();
  const postId = created.createPost.id as string;
  while ((await r.zscore(lastKey, postId)) === null) {
    if (performance.now() - t0 > 120_000) throw new Error(`${label}: the post did not reach the last timeline in 120 s`);
    await sleep(pollMs);
  }
  const ms = performance.now() - t0;
  const holding = await countHolding(author.followers, postId);
  const idleWaitMs = await waitIdle(label);
  const [outboxRow] = await mediaSql<{ id: string }[]>`select id from outbox where event = 'post.created' and payload->>'postId' = ${postId}`;
  const job = outboxRow ? await postCreatedQueue.getJob(outboxRow.id) : undefined;
  const rel = (t: number | undefined) => (t ? t - wall0 : null);
  return {
    ms: round(ms),
    holding,
    jobAddedMs: rel(job?.timestamp),
    jobStartedMs: rel(job?.processedOn),
    jobFinishedMs: rel(job?.finishedOn),
    timelinesWritten: job?.returnvalue?.timelinesWritten ?? null,
    notified: job?.returnvalue?.notified ?? null,
    idleWaitMs: round(idleWaitMs, 0),
  };
}

const authors = new Map<number, { authorId: string; followers: string[] }>();
for (const size of SIZES) authors.set(size, await seedAuthor(size));
const uploadsBySize = new Map<number, string[]>();
progress('making the uploads (processed before any timing)…');
for (const size of SIZES) uploadsBySize.set(size, await signedUploads(authors.get(size)!.authorId, runsFor(size) + (size === SIZES[0] ? 1 : 0)));
await waitIdle('before fan-out');

const fanOut: Record<string, unknown> = {};
for (const size of SIZES) {
  const author = authors.get(size)!;
  const uploads = uploadsBySize.get(size)!;
  if (size === SIZES[0]) {
    const warm = await fanOutRun(author, uploads.pop()!, `warm-up ${size}`);
    progress(`fan-out ${size.toLocaleString()} (warm-up, not counted): ${warm.ms} ms`);
  }
  const runs: RunResult[] = [];
  for (let i = 0; i < runsFor(size); i++) {
    const run = await fanOutRun(author, uploads[i]!, `${size} #${i + 1}`);
    runs.push(run);
    progress(
      `fan-out ${size.toLocaleString()} #${i + 1}: ${run.ms} ms to every timeline (${run.holding.toLocaleString()}/${size.toLocaleString()} hold it); ` +
        `job added +${run.jobAddedMs} ms, started +${run.jobStartedMs} ms, finished +${run.jobFinishedMs} ms (${run.notified} NEW_POST notifications)`,
    );
    if (run.holding !== size) progress(`  !! only ${run.holding} of ${size} timelines hold the post`);
  }
  const ms = runs.map((x) => x.ms);
  const jobs = (pick: (x: RunResult) => number | null) => {
    const values = runs.map(pick).filter((v): v is number => v !== null);
    return values.length ? stats(values) : null;
  };
  fanOut[size] = {
    runs: runs.length,
    p50Ms: stats(ms).p50,
    maxMs: stats(ms).max,
    samplesMs: ms,
    // One addToMany script call and one social-graph page per 1,000 followers (the next page fetched meanwhile).
    p50MsPerPageOf1000: round(stats(ms).p50 / Math.ceil(size / 1000)),
    allTimelinesHoldIt: runs.every((x) => x.holding === size),
    holding: runs.map((x) => x.holding),
    timelinesWritten: runs.map((x) => x.timelinesWritten),
    // From createPost's return, per run: the relay added the job, the worker took it, the job ended
    // (timelines, then one NEW_POST notification per follower, one transaction per 1,000).
    jobAddedMs: jobs((x) => x.jobAddedMs),
    jobStartedMs: jobs((x) => x.jobStartedMs),
    jobFinishedMs: jobs((x) => x.jobFinishedMs),
    untilIdleAfterTimelinesMs: stats(runs.map((x) => x.idleWaitMs)),
  };
  progress(`fan-out ${size.toLocaleString()}: p50 ${stats(ms).p50} ms, max ${stats(ms).max} ms; whole job p50 ${jobs((x) => x.jobFinishedMs)?.p50} ms`);
}

// ---------------------------------------------------------------------------------------------
// 2. Timeline inserts per second vs redis-benchmark ZADD.
progress('redis-benchmark -t zadd -P 1000 -n 2000000…');
const zsetExisted = (await r.exists('myzset')) === 1;
const benchOut = execFileSync('/usr/bin/redis-benchmark', ['-h', redisUrl.hostname, '-p', redisUrl.port || '6379', '-t', 'zadd', '-P', '1000', '-n', '2000000', '-q'], {
  encoding: 'utf8',
});
const zaddRate = (out: string) => {
  const perSecond = Number(out.match(/ZADD: ([\d.]+) requests per second/)?.[1]);
  if (!perSecond) throw new Error(`could not read redis-benchmark's output: ${out}`);
  return perSecond;
};
const zaddPerSecond = zaddRate(benchOut);
progress(`redis-benchmark ZADD: ${Math.round(zaddPerSecond).toLocaleString()}/s`);
// Without -r, every ZADD sets the same member ("element:__rand_int__") of one key again: after the
// first, no-ops. With -r, the members are random, so most are real inserts (into one big sorted set).
progress('redis-benchmark -t zadd -P 1000 -n 2000000 -r 1000000 (random members: real inserts)…');
const randomOut = execFileSync('/usr/bin/redis-benchmark', ['-h', redisUrl.hostname, '-p', redisUrl.port || '6379', '-t', 'zadd', '-P', '1000', '-n', '2000000', '-r', '1000000', '-q'], {
  encoding: 'utf8',
});
const zaddRandomPerSecond = zaddRate(randomOut);
const randomCard = await r.zcard('myzset');
if (!zsetExisted) await r.del('myzset');
progress(`redis-benchmark ZADD, random members: ${Math.round(zaddRandomPerSecond).toLocaleString()}/s (${randomCard.toLocaleString()} members in the end)`);

// 100,000 existing timelines: the largest author's followers, topped up with fresh ones.
const largest = authors.get(Math.max(...SIZES))!;
const rateIds = largest.followers.slice(0, RATE_TIMELINES);
if (rateIds.length < RATE_TIMELINES) {
  const extra = Array.from({ length: RATE_TIMELINES - rateIds.length }, () => newId());
  progress(`making ${extra.length.toLocaleString()} more timelines for the insert rate…`);
  for (const chunk of chunks(extra, 1000)) await Promise.all(chunk.map((id) => timelines.rebuild(id, async () => [])));
  rateIds.push(...extra);
}
const ratePages = chunks(rateIds, PAGE);

/** One post into every page of timelines, `inFlight` pages at a time; returns inserts and ms. */
async function insertPass(store: TimelineStore, pages: string[][], inFlight: number): Promise<{ ms: number; added: number }> {
  const entry = { postId: newId(), score: Date.now() };
  let next = 0;
  let added = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < pages.length) {
        const n = await store.addToMany(pages[next++]!, entry);
        added += n;
      }
    }),
  );
  return { ms: performance.now() - t, added };
}

async function insertRate(label: string, passes: number, run: () => Promise<{ ms: number; added: number }>, expected: number) {
  await run(); // warm-up
  let ms = 0;
  let added = 0;
  for (let i = 0; i < passes; i++) {
    const pass = await run();
    ms += pass.ms;
    added += pass.added;
  }
  if (added !== expected * passes) throw new Error(`${label}: ${added} inserts, expected ${expected * passes}`);
  const perSecond = Math.round(added / (ms / 1000));
  progress(
    `${label}: ${perSecond.toLocaleString()} inserts/s (${round((100 * perSecond) / zaddPerSecond, 1)}% of redis-benchmark ZADD; ` +
      `${round((100 * perSecond) / zaddRandomPerSecond, 1)}% of it with random members)`,
  );
  return {
    inserts: added,
    ms: round(ms, 0),
    insertsPerSecond: perSecond,
    ofCeiling: round(perSecond / zaddPerSecond, 3),
    ofRandomMemberCeiling: round(perSecond / zaddRandomPerSecond, 3),
  };
}

const sequential = await insertRate('addToMany, 100k timelines, pages of 1,000, sequential', 3, () => insertPass(timelines, ratePages, 1), RATE_TIMELINES);
const twoInFlight = await insertRate('addToMany, 100k timelines, pages of 1,000, 2 in flight', 3, () => insertPass(timelines, ratePages, 2), RATE_TIMELINES);
// The steady state of an active user: the timeline is at its cap, so every insert also trims one.
// 1,000 timelines of 800 posts (80 MB of Redis; 100,000 of them would be 8 GB), one post each x100.
progress('filling 1,000 timelines to the 800 cap…');
const fullIds = Array.from({ length: 1000 }, () => newId());
const oldPosts = Array.from({ length: feedConfig.TIMELINE_MAX_POSTS }, (_, i) => ({ postId: newId(), score: SOCIAL_BASE + i }));
for (const chunk of chunks(fullIds, 100)) await Promise.all(chunk.map((id) => timelines.rebuild(id, async () => oldPosts)));
const atCap = await insertRate('addToMany, 1,000 timelines at the 800 cap (each insert trims one), x100', 1, async () => {
  let ms = 0;
  let added = 0;
  for (let i = 0; i < 100; i++) {
    const pass = await insertPass(timelines, [fullIds], 1);
    ms += pass.ms;
    added += pass.added;
  }
  return { ms, added };
}, 100_000);
const fullCard = await r.zcard(timelines.key(fullIds[0]!));

// ---------------------------------------------------------------------------------------------
// 3. `feed` through the gateway, and the same subgraph calls made directly.
progress('feed: a reader following 4 authors, 20 posts with images…');
async function signUp(username: string) {
  const data = must(
    await viaGateway({
      query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
      variables: { input: { username, email: `${username}@example.com`, password: 'password123' } },
    }),
    `signUp ${username}`,
  );
  return { id: data.signUp.user.id as string, token: data.signUp.accessToken as string };
}
const reader = await signUp('bench_reader');
const feedAuthors: { id: string; token: string }[] = [];
for (let i = 1; i <= 4; i++) feedAuthors.push(await signUp(`bench_author_${i}`));
for (const author of feedAuthors) {
  must(await viaGateway({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: author.id } }, reader.token), 'follow');
}
const FEED_QUERY = `query HomeFeed { feed(first: 20) {
  edges { cursor node { id caption createdAt likeCount commentCount viewerHasLiked
    author { id username displayName followerCount }
    media { url width height blurhash } } }
  pageInfo { hasNextPage endCursor } } }`;
// The reader reads first: their timeline exists, and the posts below are fanned out into it.
must(await viaGateway({ query: FEED_QUERY }, reader.token), 'first feed read');
const postIds: string[] = [];
for (let i = 0; i < 20; i++) {
  const author = feedAuthors[i % feedAuthors.length]!;
  const uploadIds = await readyUploads(i % 3 === 0 ? 2 : 1, () =>
    viaGateway({ query: CREATE_UPLOAD, variables: { input: { contentType: 'image/jpeg', byteSize: photo.length } } }, author.token),
  );
  const data = must(await viaGateway({ query: CREATE_POST, variables: { input: { uploadIds, caption: `post ${i + 1} #bench` } } }, author.token), 'createPost');
  postIds.push(data.createPost.id);
}
for (const [i, postId] of postIds.entries()) {
  if (i % 3 === 0) must(await viaGateway({ query: 'mutation($id: ID!) { likePost(postId: $id) { id } }', variables: { id: postId } }, reader.token), 'likePost');
  if (i % 4 === 0) must(await viaGateway({ query: 'mutation($id: ID!) { addComment(postId: $id, text: "nice") { id } }', variables: { id: postId } }, reader.token), 'addComment');
}
await waitIdle('feed set-up');

function checkFeed(data: any) {
  const edges = data?.feed?.edges;
  if (!Array.isArray(edges) || edges.length !== 20 || !edges.every((e: any) => e.node.media.length > 0 && e.node.author.username)) {
    throw new Error(`unexpected feed: ${JSON.stringify(data).slice(0, 500)}`);
  }
}
const sample = must(await viaGateway({ query: FEED_QUERY }, reader.token), 'feed');
checkFeed(sample);
const gatewayFeed = async () => {
  const result = await viaGateway({ query: FEED_QUERY }, reader.token);
  if (result.errors || result.data?.feed?.edges?.length !== 20) throw new Error(`feed through the gateway: ${JSON.stringify(result).slice(0, 300)}`);
};

// The plan, from what the subgraphs receive: a second gateway in front of recording proxies.
interface Recorded {
  subgraph: string;
  body: { query: string; variables?: Record<string, unknown>; operationName?: string };
  start: number;
  end: number;
}
const recorded: Recorded[] = [];
function recordingProxy(subgraph: string, target: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunkList: Buffer[] = [];
    for await (const chunk of req) chunkList.push(chunk as Buffer);
    const body = Buffer.concat(chunkList).toString('utf8');
    const start = performance.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    const answer = await fetch(target, { method: 'POST', headers, body });
    const text = await answer.text();
    recorded.push({ subgraph, body: JSON.parse(body), start, end: performance.now() });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`, server });
  }));
}
const proxies = Object.fromEntries(await Promise.all(Object.entries(subgraphUrls).map(async ([name, url]) => [name, await recordingProxy(name, url)] as const)));
const recordingGateway = await startGateway(
  loadGatewayConfig({ ...gatewayEnv, USERS_URL: proxies.users!.url, SOCIAL_GRAPH_URL: proxies['social-graph']!.url, MEDIA_URL: proxies.media!.url, FEED_URL: proxies.feed!.url }),
  { logger: quiet() },
);
// The first request plans; the next 20 use the cached plan and give the timings (through the proxies,
// so each fetch here also pays a proxy hop).
const planTimings: { total: number; steps: Map<string, { at: number; took: number }> }[] = [];
for (let i = 0; i < 21; i++) {
  recorded.length = 0;
  const t = performance.now();
  const response = await fetch(recordingGateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${reader.token}` },
    body: JSON.stringify({ query: FEED_QUERY }),
  });
  checkFeed(must(await response.json(), 'feed through the recording gateway'));
  if (i > 0) planTimings.push({ total: performance.now() - t, steps: new Map(recorded.map((f) => [f.subgraph, { at: f.start - t, took: f.end - f.start }])) });
}
await recordingGateway.close();
await Promise.all(Object.values(proxies).map((p) => new Promise((resolve) => p.server.close(resolve))));
recorded.sort((a, b) => a.start - b.start);
const median = (values: number[]) => stats(values).p50;
const plan = recorded.map((f) => ({
  subgraph: f.subgraph,
  operation: f.body.query.replace(/\s+/g, ' '),
  representations: Array.isArray(f.body.variables?.representations) ? f.body.variables.representations.length : null,
  // Medians over 20 requests, from the client's send: when the gateway sent this fetch, and how long it took.
  sentAtMs: median(planTimings.map((x) => x.steps.get(f.subgraph)!.at)),
  tookMs: median(planTimings.map((x) => x.steps.get(f.subgraph)!.took)),
}));
const planTotalMs = median(planTimings.map((x) => x.total));
for (const step of plan) progress(`  plan: ${step.subgraph} (${step.representations ?? 'root'} reps) sent at +${step.sentAtMs} ms, took ${step.tookMs} ms: ${step.operation.slice(0, 120)}`);
progress(`  plan: the client had the answer at +${planTotalMs} ms (medians of 20, through recording proxies)`);
const step = (name: string) => {
  const found = recorded.filter((f) => f.subgraph === name);
  if (found.length !== 1) throw new Error(`expected one fetch to ${name} in the plan, saw ${found.length}: ${JSON.stringify(plan)}`);
  return found[0]!.body;
};
if (recorded.length !== 4 || recorded[0]!.subgraph !== 'feed' || recorded[1]!.subgraph !== 'media') throw new Error(`unexpected plan: ${JSON.stringify(plan)}`);
const [feedStep, mediaStep, usersStep, socialStep] = [step('feed'), step('media'), step('users'), step('social-graph')];
const usersParallel = (() => {
  const [a, b] = [recorded[2]!, recorded[3]!];
  return a.start < b.end && b.start < a.end;
})();
const authorRepsDeduped = (usersStep.variables?.representations as unknown[]).length < 20;

/** The gateway's plan, its calls made straight to the subgraphs: feed → media Post _entities → users and social-graph User _entities. */
async function directFeed() {
  const feedData = must(await signed(subgraphUrls.feed, feedStep, reader.id), 'direct feed');
  const posts = (feedData.feed.edges as { node: { id: string } }[]).map((e) => ({ __typename: 'Post', id: e.node.id }));
  const mediaData = must(await signed(subgraphUrls.media, { ...mediaStep, variables: { ...mediaStep.variables, representations: posts } }, reader.id), 'direct media');
  const authorIds = (mediaData._entities as { author: { id: string } }[]).map((p) => p.author.id);
  const reps = (authorRepsDeduped ? [...new Set(authorIds)] : authorIds).map((id) => ({ __typename: 'User', id }));
  const calls = [usersStep, socialStep].map((s, i) => () =>
    signed(i === 0 ? subgraphUrls.users : subgraphUrls['social-graph'], { ...s, variables: { ...s.variables, representations: reps } }, reader.id),
  );
  const results = usersParallel ? await Promise.all(calls.map((c) => c())) : [await calls[0]!(), await calls[1]!()];
  for (const result of results) if ((must(result, 'direct users/social-graph')._entities as unknown[]).length !== reps.length) throw new Error('direct: wrong batch');
  if (posts.length !== 20) throw new Error(`direct: ${posts.length} posts`);
}
await directFeed();

// Where the time goes: each call of the plan alone, and the floor of a signed request.
progress('timing each call of the plan alone…');
const samplePosts = sample.feed.edges.map((e: any) => ({ __typename: 'Post', id: e.node.id }));
const sampleAuthors = sample.feed.edges.map((e: any) => ({ __typename: 'User', id: e.node.author.id }));
const alone = async (label: string, url: string, payload: { query: string; variables?: unknown; operationName?: string }) => {
  const result = await timeIt(200, async () => must(await signed(url, payload, reader.id), label));
  progress(`  ${label}: p50 ${result.p50} ms, p99 ${result.p99} ms`);
  return result;
};
const callsAlone = {
  floorFeedTypename: await alone('feed { __typename } (the request floor)', subgraphUrls.feed, { query: '{ __typename }' }),
  feed: await alone('feed: feed(first: 20) (it asks media which posts still exist)', subgraphUrls.feed, feedStep),
  media: await alone('media: Post _entities x20', subgraphUrls.media, { ...mediaStep, variables: { representations: samplePosts } }),
  users: await alone('users: User _entities x20', subgraphUrls.users, { ...usersStep, variables: { representations: sampleAuthors } }),
  socialGraph: await alone('social-graph: User _entities x20', subgraphUrls['social-graph'], { ...socialStep, variables: { representations: sampleAuthors } }),
};

/** `clients` loops of `fn` for `ms` (after a 1 s warm-up): latency percentiles and requests per second. */
async function underLoad(clients: number, ms: number, fn: () => Promise<unknown>) {
  const loop = async (until: number, samples: number[] | null) => {
    while (performance.now() < until) {
      const t = performance.now();
      await fn();
      samples?.push(performance.now() - t);
    }
  };
  const warm = performance.now() + 1000;
  await Promise.all(Array.from({ length: clients }, () => loop(warm, null)));
  const samples: number[] = [];
  const t = performance.now();
  await Promise.all(Array.from({ length: clients }, () => loop(t + ms, samples)));
  const seconds = (performance.now() - t) / 1000;
  const s = stats(samples);
  return { clients, requests: samples.length, perSecond: round(samples.length / seconds, 0), p50: s.p50, p99: s.p99 };
}

/** With FEED_BENCH_CPU_PROFILE=<dir>: a CPU profile of this process (the whole stack) while `fn` runs. */
async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.FEED_BENCH_CPU_PROFILE;
  if (!dir) return fn();
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  const result = await fn();
  const { profile } = await post('Profiler.stop');
  session.disconnect();
  writeFileSync(join(dir, `feed-${name}.cpuprofile`), JSON.stringify(profile));
  progress(`  CPU profile: ${join(dir, `feed-${name}.cpuprofile`)}`);
  return result;
}

progress('timing feed: sequential, then 16 and 64 concurrent clients, through the gateway and direct…');
const gatewaySequential = await timeIt(500, gatewayFeed, 50);
progress(`  gateway sequential: p50 ${gatewaySequential.p50} ms, p99 ${gatewaySequential.p99} ms`);
const directSequential = await timeIt(500, directFeed, 50);
progress(`  direct sequential: p50 ${directSequential.p50} ms, p99 ${directSequential.p99} ms`);
const gateway16 = await profiled('gateway-x16', () => underLoad(16, 6000, gatewayFeed));
progress(`  gateway x16: ${gateway16.perSecond}/s, p50 ${gateway16.p50} ms, p99 ${gateway16.p99} ms`);
const direct16 = await profiled('direct-x16', () => underLoad(16, 6000, directFeed));
progress(`  direct x16: ${direct16.perSecond}/s, p50 ${direct16.p50} ms, p99 ${direct16.p99} ms`);
const gateway64 = await underLoad(64, 6000, gatewayFeed);
progress(`  gateway x64: ${gateway64.perSecond}/s, p50 ${gateway64.p50} ms, p99 ${gateway64.p99} ms`);
const direct64 = await underLoad(64, 6000, directFeed);
progress(`  direct x64: ${direct64.perSecond}/s, p50 ${direct64.p50} ms, p99 ${direct64.p99} ms`);

// ---------------------------------------------------------------------------------------------
const summary = {
  date: new Date().toISOString(),
  machine: '2 cores (node-svc)',
  notes: [
    'Every service, both workers, the gateway and the load clients run in this one Node process (as gateway/test/stack.ts starts them): they share one JS thread; Postgres and Redis share the other core.',
    'Other work may have been running on the machine (load average before/after below): compare ratios, not absolute times.',
  ],
  loadAverage: { before: loadBefore, after: loadavg().map((n) => round(n)) },
  fanOut: {
    path: 'createPost (signed GraphQL to media; its upload already processed, so published at once) → media outbox → media worker relay → BullMQ feed.post-created → feed worker fanOutPost → social-graph /internal/follower-ids (pages of 1,000, newest follow first) → TimelineStore.addToMany → Redis',
    timelines: "every follower's timeline was made to exist first (TimelineStore.rebuild(id, () => []), as a first read does): the fan-out writes only existing timelines",
    detection: "ZSCORE of the timeline of the oldest follower (on the last page, written last), polled every ~1 ms (5 ms for 100k); then every follower's timeline checked with pipelined ZSCOREs",
    celebrityThreshold,
    fanoutConcurrency: feedConfig.FANOUT_CONCURRENCY,
    targetsMs: { 1000: 50, 10000: 200, 100000: 1000 },
    bySize: fanOut,
  },
  insertRate: {
    redisBenchmark: {
      command: 'redis-benchmark -t zadd -P 1000 -n 2000000 -q',
      zaddPerSecond: Math.round(zaddPerSecond),
      note: 'without -r every ZADD re-sets one member of one key (no-ops after the first): not an insert',
      withRandomMembers: { command: 'redis-benchmark -t zadd -P 1000 -n 2000000 -r 1000000 -q', zaddPerSecond: Math.round(zaddRandomPerSecond), membersAtEnd: randomCard },
    },
    target: '>= 50% of redis-benchmark ZADD',
    sequential,
    twoInFlight,
    atCap: { ...atCap, timelineSizeAfter: fullCard, note: '1,000 timelines each at the 800 cap (plus the marker): every insert trims one' },
  },
  feedQuery: {
    reader: 'follows 4 authors (signed up and followed through the gateway); 20 posts, 1-2 images each; 7 liked and 5 commented by the reader',
    plan,
    planClientTotalMs: planTotalMs,
    callsAloneMs: callsAlone,
    planNotes: { usersAndSocialGraphInParallel: usersParallel, authorRepresentationsDeduplicated: authorRepsDeduped },
    gateway: { sequentialMs: gatewaySequential, clients16: gateway16, clients64: gateway64 },
    direct: { sequentialMs: directSequential, clients16: direct16, clients64: direct64 },
    gatewayOverDirect: {
      sequentialP50: round(gatewaySequential.p50 / directSequential.p50),
      sequentialP99: round(gatewaySequential.p99 / directSequential.p99),
      clients16P99: round(gateway16.p99 / direct16.p99),
      clients16Throughput: round(direct16.perSecond / gateway16.perSecond),
      clients64Throughput: round(direct64.perSecond / gateway64.perSecond),
    },
    targets: 'gateway <= 1.25x direct; p99 < 50 ms with 16 clients; Hive Gateway comparison not measured here',
  },
  totalSeconds: round((Date.now() - started) / 1000, 0),
};
console.log(JSON.stringify(summary, null, 2));
writeFileSync(new URL('./results/feed.json', import.meta.url), JSON.stringify(summary, null, 2) + '\n');

// ---------------------------------------------------------------------------------------------
progress('cleaning up…');
await gateway.close();
await feedWorker.close();
await feed.close();
await mediaWorker.close();
await media.close();
await socialGraphWorker.close();
await socialGraph.close();
await users.close();
await Promise.all([...feedQueues, pushQueue].map((q) => q.close()));
await Promise.all([socialGraphSql.end(), mediaSql.end(), feedSql.end(), feedDatabase.close()]);
const removed = await cleanPrefix();
progress(`removed ${removed.toLocaleString()} Redis keys under ${PREFIX}:`);
r.disconnect();
queueConnection.disconnect();
rmSync(storageDir, { recursive: true, force: true });
for (const name of Object.values(names)) await dropDatabase(pg.adminUrl, name);
await redis.stop();
await pg.stop();
process.exit(0);
