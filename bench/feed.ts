/**
 * Feed, against the product as `npm start` runs it (bench/installation.ts: every service and
 * worker its own process, a fresh embedded Postgres, Redis at REDIS_URL or :6379, QUEUE_PREFIX
 * `bench-feed`, ports 4200-4204 unless FEED_BENCH_PORT_BASE says otherwise):
 *  1. fan-out latency: `createPost` (through the gateway) returns → the post is in EVERY
 *     follower's timeline, for authors with 1,000 / 10,000 / 100,000 followers seeded through
 *     social-graph's bulk seed module, along the real path (media createPost → outbox → media worker's relay
 *     → BullMQ feed.post-created → feed worker → social-graph's internal follower-ids endpoint →
 *     Redis). Targets: < 50 ms / < 200 ms / < 1 s.
 *  2. timeline inserts per second of the feed's own write path (TimelineStore.addToMany, 800 cap,
 *     called from this process) against `redis-benchmark -t zadd -P 1000 -r 1000000` in the same
 *     run. Target: >= 50% of the ceiling.
 *  3. the home `feed` (20 posts with author, images, counts, viewerHasLiked) through the
 *     installation's gateway, against the same subgraph calls made directly (signed) to its
 *     subgraphs along the gateway's query plan. Targets: gateway <= 1.25x direct; p99 < 50 ms with
 *     16 concurrent clients (throughput at 64 reported).
 * The load generator (this process) shares the machine's cores with the installation: the CPU each
 * process used during the concurrent runs is reported with them.
 *   npx tsx bench/feed.ts
 *   FEED_BENCH_SIZES=1000,10000 npx tsx bench/feed.ts     (a quick run: skips the 100k author)
 *   FEED_BENCH_RUNS=3                                     (runs per size; default 10 / 7 / 5)
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { pino } from 'pino';
import sharp from 'sharp';
import { createAccessTokenIssuer, signRequest } from '@shutter/auth';
import { newId } from '@shutter/db';
import { createRedisConnection, eventCatalogue, queuePrefix } from '@shutter/events';
import { createFeedDeps, feedDatabase, loadFeedConfig, type TimelineStore } from '@shutter/feed';
import { pingRedis } from '@shutter/local-infra';
import { loadGatewayConfig } from '../gateway/src/config.ts';
import { startGateway } from '../gateway/src/gateway.ts';
import { bulkInsertFollows } from '../subgraphs/social-graph/src/seed.ts';
import { startInstallation } from './installation.ts';
import { cleanRedisPrefix, cpuBetween, cpuLine, processSnapshot, progress, quantiles, round, timeIt, underLoad, writeResults, type BenchFigure } from './lib.ts';

const SIZES = (process.env.FEED_BENCH_SIZES ?? '1000,10000,100000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const runsFor = (size: number) => Number(process.env.FEED_BENCH_RUNS) || (size >= 100_000 ? 5 : size >= 10_000 ? 7 : 10);
const PORT_BASE = Number(process.env.FEED_BENCH_PORT_BASE ?? 4200);
/** How long each concurrent feed run lasts (npm run bench shortens it). */
const LOAD_MS = Number(process.env.FEED_BENCH_LOAD_MS) || 6000;
const RATE_TIMELINES = 100_000;
const PAGE = 1000;
const started = Date.now();
const loadBefore = loadavg().map((n) => round(n));
// Above the largest author, so that every author here is fanned out (the default is 10,000).
const celebrityThreshold = Math.max(1_000_000, ...SIZES.map((s) => s * 2));
const quiet = () => pino({ level: 'error' }, pino.destination(2));

/** The Redis the installation will use, if it is running already (as ensureRedis finds it). */
const existingRedis = process.env.REDIS_URL ?? ((await pingRedis('127.0.0.1', 6379)) ? 'redis://127.0.0.1:6379' : null);
if (existingRedis) {
  const leftovers = await cleanRedisPrefix(existingRedis, process.env.BENCH_PORT_OFFSET ? `bench-feed-${process.env.BENCH_PORT_OFFSET}` : 'bench-feed');
  if (leftovers > 0) progress(`removed ${leftovers} keys left by an earlier run`);
}

// ---------------------------------------------------------------------------------------------
// The installation: npm start, each service and worker its own process.
progress('starting the installation (npm start: every service and worker its own process)…');
const installation = await startInstallation('feed', { portBase: PORT_BASE, env: { CELEBRITY_FOLLOWER_THRESHOLD: String(celebrityThreshold) } });
const PREFIX = installation.prefix;
const secret = installation.secrets.gatewaySigningSecret;
const subgraphUrls = installation.subgraphUrls;
const redisUrl = new URL(installation.redisUrl);
progress(`  gateway ${installation.gatewayUrl}; Postgres on :${installation.postgresPort}; Redis ${installation.redisUrl}; prefix ${PREFIX}`);

/** Closed in reverse order by `shutdown`. */
const closers: { name: string; close: () => Promise<unknown> }[] = [];
let myzsetIsOurs = false;
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    progress('cleaning up…');
    for (const { name, close } of closers.reverse()) await close().catch((e) => progress(`  closing ${name}: ${e instanceof Error ? e.message : String(e)}`));
    // The data directory (Postgres cluster, media files, secrets) goes with the installation.
    await installation.stop();
    if (await pingRedis(redisUrl.hostname, Number(redisUrl.port || 6379))) {
      const removed = await cleanRedisPrefix(installation.redisUrl, PREFIX);
      progress(`  removed ${removed.toLocaleString()} Redis keys under ${PREFIX}:`);
      if (myzsetIsOurs) {
        const redis = new Redis(installation.redisUrl);
        await redis.del('myzset');
        redis.disconnect();
      }
    }
    progress('  installation stopped, its data directory removed');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

try {
  // Straight into the installation's databases, as the postgres superuser.
  const database = (name: string) => {
    const sql = postgres(installation.postgresUrl(name), { max: 2, onnotice: () => {} });
    closers.push({ name, close: () => sql.end({ timeout: 5 }) });
    return sql;
  };
  const socialGraphSql = database('shutter_social_graph');
  const mediaSql = database('shutter_media');
  const feedSql = database('shutter_feed');
  const r = new Redis(installation.redisUrl);
  closers.push({ name: 'redis', close: async () => r.disconnect() });
  // The feed's own TimelineStore, with the installation's settings (prefix, 800 cap, TTL, live channels).
  const feedConfig = loadFeedConfig({
    ...process.env,
    FEED_DATABASE_URL: installation.postgresUrl('shutter_feed'),
    GATEWAY_SIGNING_SECRET: secret,
    REDIS_URL: installation.redisUrl,
    QUEUE_PREFIX: PREFIX,
    CELEBRITY_FOLLOWER_THRESHOLD: String(celebrityThreshold),
    LOG_LEVEL: 'error',
  });
  const feedDb = feedDatabase.connect(feedConfig.FEED_DATABASE_URL, { max: 1 });
  closers.push({ name: 'feed database', close: () => feedDb.close() });
  const feedDeps = createFeedDeps(feedConfig, feedDb.db, r);
  const timelines: TimelineStore = feedDeps.timelines;
  const queueConnection = createRedisConnection(installation.redisUrl);
  closers.push({ name: 'queue connection', close: async () => queueConnection.disconnect() });
  // Every queue the fan-out and its consequences run through: the feed's, media's (uploads), users' (pushes).
  const WATCHED = [...new Set(Object.values(eventCatalogue).flatMap((e) => [...e.queues])), 'users.push-deliver'];
  const queues = new Map(WATCHED.map((name) => [name, new Queue(name, { connection: queueConnection, prefix: queuePrefix(PREFIX, name) })]));
  closers.push({ name: 'queues', close: () => Promise.all([...queues.values()].map((q) => q.close())) });
  const postCreatedQueue = queues.get('feed.post-created')!;
  const issuer = await createAccessTokenIssuer(installation.secrets.accessTokenPrivateKey, 6 * 3600);

  // A post's arrival in a timeline: the fan-out's script publishes { id } on the owner's live feed
  // channel in the same atomic call that adds it, so the message is the moment the timeline has it.
  const subscriber = new Redis(installation.redisUrl);
  closers.push({ name: 'subscriber', close: async () => subscriber.disconnect() });
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  subscriber.on('message', (channel: string, message: string) => {
    const at = performance.now();
    const key = `${channel} ${(JSON.parse(message) as { id: string }).id}`;
    arrived.set(key, at);
    waiting.get(key)?.(at);
  });
  function arrival(channel: string, postId: string, timeoutMs: number): Promise<number> {
    const key = `${channel} ${postId}`;
    const at = arrived.get(key);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(key);
        reject(new Error(`no message for ${postId} on ${channel} in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      waiting.set(key, (t) => {
        clearTimeout(timer);
        waiting.delete(key);
        resolve(t);
      });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers.
  const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

  const stats = (samples: number[]) => {
    const { p50, p99, max, mean } = quantiles(samples);
    return { p50, p99, max, mean };
  };

  /** A GraphQL request to a subgraph, signed as the gateway signs it. */
  const signed = async (url: string, payload: { query: string; variables?: unknown; operationName?: string }, viewerId: string | null): Promise<any> => {
    const body = JSON.stringify(payload);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signRequest(secret, { viewerId, requestId: randomUUID(), body }) },
      body,
    });
    return response.json();
  };

  /** A GraphQL request through the installation's gateway, as a client sends it. */
  const viaGateway = async (payload: { query: string; variables?: unknown }, token?: string): Promise<any> => {
    const response = await fetch(installation.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(payload),
    });
    return response.json();
  };

  const must = <T = any>(result: any, what: string): T => {
    if (!result?.data || result.errors) throw new Error(`${what}: ${JSON.stringify(result?.errors ?? result).slice(0, 500)}`);
    return result.data as T;
  };

  const photo = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 80, b: 40 } } }).jpeg().toBuffer();
  const CREATE_UPLOAD = 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }';
  const CREATE_POST = 'mutation($input: CreatePostInput!) { createPost(input: $input) { id } }';

  /** `n` uploads of a small JPEG through the gateway, bytes sent, processed by the media worker: a post of them is published at once. */
  const readyUploads = async (n: number, token: string): Promise<string[]> => {
    const ids = await Promise.all(
      Array.from({ length: n }, async () => {
        const upload = must(await viaGateway({ query: CREATE_UPLOAD, variables: { input: { contentType: 'image/jpeg', byteSize: photo.length } } }, token), 'createUpload')
          .createUpload as { id: string; uploadUrl: string };
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
  };

  /** Until no watched queue has work and the feed's and media's outboxes are relayed. */
  const waitIdle = async (label: string): Promise<number> => {
    const since = performance.now();
    let lastLine = since;
    for (;;) {
      const counts = await Promise.all(
        [...queues].map(async ([name, q]) => [name, Object.values(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')).reduce((a, b) => a + b, 0)] as const),
      );
      const jobs = counts.reduce((n, [, c]) => n + c, 0);
      const [{ unsent: feedUnsent }] = (await feedSql`select count(*)::int as unsent from outbox where sent_at is null`) as unknown as [{ unsent: number }];
      const [{ unsent: mediaUnsent }] = (await mediaSql`select count(*)::int as unsent from outbox where sent_at is null`) as unknown as [{ unsent: number }];
      if (jobs === 0 && feedUnsent === 0 && mediaUnsent === 0) break;
      if (performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        const busy = counts.filter(([, c]) => c > 0).map(([name, c]) => `${name} ${c.toLocaleString()}`);
        progress(`  ${label}: waiting for the workers (${((lastLine - since) / 1000).toFixed(0)} s): ${busy.join(', ') || 'no jobs'}; outbox rows unsent: feed ${feedUnsent}, media ${mediaUnsent}`);
      }
      if (performance.now() - since > 30 * 60_000) throw new Error('the workers did not become idle in 30 minutes');
      await sleep(50);
    }
    return performance.now() - since;
  };

  // -------------------------------------------------------------------------------------------
  // 1. Fan-out latency.
  const SOCIAL_BASE = Date.UTC(2026, 0, 1);
  let followEdges = 0;
  interface Author {
    authorId: string;
    token: string;
    followers: string[];
  }
  /** An author with `count` followers (random ids), seeded through social-graph's bulk seed module; every follower's timeline made to exist. */
  const seedAuthor = async (count: number): Promise<Author> => {
    const authorId = newId();
    // No users row: media takes the viewer id the gateway passes on, and the gateway checks only the token's signature.
    const { token } = await issuer.issue({ userId: authorId, sessionId: newId() });
    const followers = Array.from({ length: count }, () => newId());
    progress(`seeding ${count.toLocaleString()} followers…`);
    let t = performance.now();
    // Distinct created_at: follower 0 is the oldest follow, so it is on the last page the fan-out reads.
    const base = SOCIAL_BASE + followEdges;
    followEdges += count;
    // Through social-graph's own bulk seed module (its tables, its counters).
    await bulkInsertFollows(
      socialGraphSql,
      followers.map((followerId, i) => ({ followerId, followeeId: authorId, createdAt: new Date(base + i) })),
    );
    progress(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s; making every follower's timeline exist…`);
    // The fan-out writes only timelines that exist (active users); a first read makes one. Here:
    // TimelineStore.rebuild with nothing to load, 1,000 at a time.
    t = performance.now();
    for (const [i, chunk] of chunks(followers, 1000).entries()) {
      await Promise.all(chunk.map((id) => timelines.rebuild(id, async () => [])));
      if (count >= 50_000 && (i + 1) % 20 === 0) progress(`  timelines: ${((i + 1) * 1000).toLocaleString()} / ${count.toLocaleString()}`);
    }
    progress(`  ${count.toLocaleString()} timelines made in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await subscriber.subscribe(feedDeps.live.feed(followers[0]!));
    return { authorId, token, followers };
  };

  /** How many of these timelines hold the post: pipelined ZSCOREs, 10,000 per round trip. */
  const countHolding = async (followers: string[], postId: string): Promise<number> => {
    let n = 0;
    for (const chunk of chunks(followers, 10_000)) {
      const pipeline = r.pipeline();
      for (const id of chunk) pipeline.zscore(timelines.key(id), postId);
      const results = (await pipeline.exec()) ?? [];
      n += results.filter(([error, score]) => !error && score !== null).length;
    }
    return n;
  };

  interface RunResult {
    /** createPost returned → the post is in the last follower's timeline (the fan-out writes pages in order). */
    ms: number;
    holding: number;
    /** From createPost's return (negative: before it returned): the job added by media's relay, taken by the feed worker, finished (notifications included). */
    jobAddedMs: number | null;
    jobStartedMs: number | null;
    jobFinishedMs: number | null;
    /** From createPost's return: every queue idle, the users worker's push jobs (one per NEW_POST notification) included. */
    allIdleMs: number;
    timelinesWritten: number | null;
    notified: number | null;
  }

  const fanOutRun = async (author: Author, uploadId: string, label: string): Promise<RunResult> => {
    const channel = feedDeps.live.feed(author.followers[0]!);
    const created = must(await viaGateway({ query: CREATE_POST, variables: { input: { uploadIds: [uploadId], caption: label } } }, author.token), 'createPost');
    const t0 = performance.now();
    const wall0 = Date.now();
    const postId = created.createPost.id as string;
    const ms = (await arrival(channel, postId, 120_000)) - t0;
    const holding = await countHolding(author.followers, postId);
    await waitIdle(label);
    const allIdleMs = performance.now() - t0;
    const [outboxRow] = await mediaSql<{ id: string }[]>`select id from outbox where event = 'post.created' and payload->>'postId' = ${postId}`;
    const job = outboxRow ? await postCreatedQueue.getJob(outboxRow.id) : undefined;
    const rel = (t: number | undefined) => (t ? t - wall0 : null);
    return {
      ms: round(ms),
      holding,
      jobAddedMs: rel(job?.timestamp),
      jobStartedMs: rel(job?.processedOn),
      jobFinishedMs: rel(job?.finishedOn),
      allIdleMs: round(allIdleMs, 0),
      timelinesWritten: job?.returnvalue?.timelinesWritten ?? null,
      notified: job?.returnvalue?.notified ?? null,
    };
  };

  const authors = new Map<number, Author>();
  for (const size of SIZES) authors.set(size, await seedAuthor(size));
  const uploadsBySize = new Map<number, string[]>();
  progress('making the uploads through the gateway (processed before any timing)…');
  for (const size of SIZES) uploadsBySize.set(size, await readyUploads(runsFor(size) + (size === SIZES[0] ? 1 : 0), authors.get(size)!.token));
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
    // Each process's CPU over the runs, per post: the timelines, the NEW_POST pages and the pushes.
    const cpuBefore = processSnapshot(installation.processGroup);
    const runsStarted = performance.now();
    for (let i = 0; i < runsFor(size); i++) {
      const run = await fanOutRun(author, uploads[i]!, `${size} #${i + 1}`);
      runs.push(run);
      progress(
        `fan-out ${size.toLocaleString()} #${i + 1}: ${run.ms} ms to every timeline (${run.holding.toLocaleString()}/${size.toLocaleString()} hold it); ` +
          `job added +${run.jobAddedMs} ms, started +${run.jobStartedMs} ms, finished +${run.jobFinishedMs} ms (${run.notified} NEW_POST notifications); ` +
          `every queue idle (pushes included) +${run.allIdleMs} ms`,
      );
      if (run.holding !== size) progress(`  !! only ${run.holding} of ${size} timelines hold the post`);
    }
    const cpu = cpuBetween(cpuBefore, processSnapshot(installation.processGroup), (performance.now() - runsStarted) / 1000, runs.length);
    progress(`  per post fanned out: ${cpuLine(cpu)}`);
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
      // ...and the feed outbox relayed, the users worker done with every push-notification job.
      allIdleMs: stats(runs.map((x) => x.allIdleMs)),
      // CPU ms per post, by process, over the runs (waiting for idle queues included).
      cpuMsPerPost: cpu.msPerRequest,
    };
    progress(
      `fan-out ${size.toLocaleString()}: p50 ${stats(ms).p50} ms, max ${stats(ms).max} ms; whole job p50 ${jobs((x) => x.jobFinishedMs)?.p50} ms; ` +
        `every queue idle p50 ${stats(runs.map((x) => x.allIdleMs)).p50} ms`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // 2. Timeline inserts per second vs redis-benchmark ZADD.
  // The ceiling is `-r 1000000`: without -r, redis-benchmark's ZADD sets the same member
  // ("element:__rand_int__" with the placeholder left as zeros) of one key again and again, so
  // after the first call every ZADD is a no-op lookup, not an insert. With -r the members are
  // random among 1,000,000, so most calls really insert (into one big sorted set).
  const zsetExisted = (await r.exists('myzset')) === 1;
  myzsetIsOurs = !zsetExisted;
  const redisBenchmark = (extra: string[]) => {
    const out = execFileSync('/usr/bin/redis-benchmark', ['-h', redisUrl.hostname, '-p', redisUrl.port || '6379', '-t', 'zadd', '-P', '1000', '-n', '2000000', ...extra, '-q'], { encoding: 'utf8' });
    const perSecond = Number(out.match(/ZADD: ([\d.]+) requests per second/)?.[1]);
    if (!perSecond) throw new Error(`could not read redis-benchmark's output: ${out}`);
    return perSecond;
  };
  progress('redis-benchmark -t zadd -P 1000 -n 2000000 -q (without -r: re-sets one member, for reference)…');
  const zaddSameMemberPerSecond = redisBenchmark([]);
  progress(`  ${Math.round(zaddSameMemberPerSecond).toLocaleString()}/s (no-ops after the first: not an insert rate)`);
  if (myzsetIsOurs) await r.del('myzset');
  progress('redis-benchmark -t zadd -P 1000 -n 2000000 -q -r 1000000 (random members: real inserts; the ceiling)…');
  const zaddPerSecond = redisBenchmark(['-r', '1000000']);
  const randomCard = await r.zcard('myzset');
  if (myzsetIsOurs) await r.del('myzset');
  progress(`  ceiling: ${Math.round(zaddPerSecond).toLocaleString()} ZADD/s (${randomCard.toLocaleString()} distinct members in the end)`);

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
  const insertPass = async (pages: string[][], inFlight: number): Promise<{ ms: number; added: number }> => {
    const entry = { postId: newId(), score: Date.now() };
    let next = 0;
    let added = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < pages.length) {
          // Not `added += await …`: that reads `added` before the await, and the other loop's adds are lost.
          const n = await timelines.addToMany(pages[next++]!, entry);
          added += n;
        }
      }),
    );
    return { ms: performance.now() - t, added };
  };

  const insertRate = async (label: string, passes: number, run: () => Promise<{ ms: number; added: number }>, expected: number) => {
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
    progress(`${label}: ${perSecond.toLocaleString()} inserts/s (${round((100 * perSecond) / zaddPerSecond, 1)}% of the redis-benchmark ZADD ceiling)`);
    return { inserts: added, ms: round(ms, 0), insertsPerSecond: perSecond, ofCeiling: round(perSecond / zaddPerSecond, 3) };
  };

  const sequential = await insertRate('addToMany, 100k timelines, pages of 1,000, sequential', 3, () => insertPass(ratePages, 1), RATE_TIMELINES);
  const twoInFlight = await insertRate('addToMany, 100k timelines, pages of 1,000, 2 in flight', 3, () => insertPass(ratePages, 2), RATE_TIMELINES);
  // The steady state of an active user: the timeline is at its cap, so every insert also trims one.
  // 1,000 timelines of 800 posts (80 MB of Redis; 100,000 of them would be 8 GB), one post each x100.
  progress('filling 1,000 timelines to the 800 cap…');
  const fullIds = Array.from({ length: 1000 }, () => newId());
  const oldPosts = Array.from({ length: feedConfig.TIMELINE_MAX_POSTS }, (_, i) => ({ postId: newId(), score: SOCIAL_BASE + i }));
  for (const chunk of chunks(fullIds, 100)) await Promise.all(chunk.map((id) => timelines.rebuild(id, async () => oldPosts)));
  const atCap = await insertRate(
    'addToMany, 1,000 timelines at the 800 cap (each insert trims one), x100',
    1,
    async () => {
      let ms = 0;
      let added = 0;
      for (let i = 0; i < 100; i++) {
        const pass = await insertPass([fullIds], 1);
        ms += pass.ms;
        added += pass.added;
      }
      return { ms, added };
    },
    100_000,
  );
  const fullCard = await r.zcard(timelines.key(fullIds[0]!));
  // 80 MB that nobody reads: gone now rather than at the end.
  for (const chunk of chunks(fullIds, 1000)) await r.unlink(...chunk.map((id) => timelines.key(id)));

  // -------------------------------------------------------------------------------------------
  // 3. `feed` through the gateway, and the same subgraph calls made directly.
  progress('feed: a reader following 4 authors, 20 posts with images (all through the gateway)…');
  const signUp = async (username: string) => {
    const data = must(
      await viaGateway({
        query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
        variables: { input: { username, email: `${username}@example.com`, password: 'password123' } },
      }),
      `signUp ${username}`,
    );
    return { id: data.signUp.user.id as string, token: data.signUp.accessToken as string };
  };
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
    const uploadIds = await readyUploads(i % 3 === 0 ? 2 : 1, author.token);
    const data = must(await viaGateway({ query: CREATE_POST, variables: { input: { uploadIds, caption: `post ${i + 1} #bench` } } }, author.token), 'createPost');
    postIds.push(data.createPost.id);
  }
  for (const [i, postId] of postIds.entries()) {
    if (i % 3 === 0) must(await viaGateway({ query: 'mutation($id: ID!) { likePost(postId: $id) { id } }', variables: { id: postId } }, reader.token), 'likePost');
    if (i % 4 === 0) must(await viaGateway({ query: 'mutation($id: ID!) { addComment(postId: $id, text: "nice") { id } }', variables: { id: postId } }, reader.token), 'addComment');
  }
  await waitIdle('feed set-up');

  const checkFeed = (data: any) => {
    const edges = data?.feed?.edges;
    if (!Array.isArray(edges) || edges.length !== 20 || !edges.every((e: any) => e.node.media.length > 0 && e.node.author.username)) {
      throw new Error(`unexpected feed: ${JSON.stringify(data).slice(0, 500)}`);
    }
  };
  const sample = must(await viaGateway({ query: FEED_QUERY }, reader.token), 'feed');
  checkFeed(sample);
  const gatewayFeed = async () => {
    const result = await viaGateway({ query: FEED_QUERY }, reader.token);
    if (result.errors || result.data?.feed?.edges?.length !== 20) throw new Error(`feed through the gateway: ${JSON.stringify(result).slice(0, 300)}`);
  };

  // The plan, from what the subgraphs receive: a second gateway (in this process, the same code and
  // supergraph) in front of recording proxies to the installation's subgraphs.
  interface Recorded {
    subgraph: string;
    body: { query: string; variables?: Record<string, unknown>; operationName?: string };
    start: number;
    end: number;
  }
  const recorded: Recorded[] = [];
  const recordingProxy = (subgraph: string, target: string): Promise<{ url: string; server: Server }> => {
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
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`, server });
      }),
    );
  };
  const proxies = Object.fromEntries(await Promise.all(Object.entries(subgraphUrls).map(async ([name, url]) => [name, await recordingProxy(name, url)] as const)));
  const recordingGateway = await startGateway(
    loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_SIGNING_SECRET: secret,
      ACCESS_TOKEN_PUBLIC_KEY: installation.secrets.accessTokenPublicKey,
      REDIS_URL: installation.redisUrl,
      QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: 'error',
      USERS_URL: proxies.users!.url,
      SOCIAL_GRAPH_URL: proxies['social-graph']!.url,
      MEDIA_URL: proxies.media!.url,
      FEED_URL: proxies.feed!.url,
    }),
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

  /** The gateway's plan, its calls made straight to the installation's subgraphs: feed → media Post _entities → users and social-graph User _entities. */
  const directFeed = async () => {
    const feedData = must(await signed(subgraphUrls.feed, feedStep, reader.id), 'direct feed');
    const posts = (feedData.feed.edges as { node: { id: string } }[]).map((e) => ({ __typename: 'Post', id: e.node.id }));
    const mediaData = must(await signed(subgraphUrls.media, { ...mediaStep, variables: { ...mediaStep.variables, representations: posts } }, reader.id), 'direct media');
    const authorIds = (mediaData._entities as { author: { id: string } }[]).map((p) => p.author.id);
    const reps = (authorRepsDeduped ? [...new Set(authorIds)] : authorIds).map((id) => ({ __typename: 'User', id }));
    const calls = [usersStep, socialStep].map(
      (s, i) => () => signed(i === 0 ? subgraphUrls.users : subgraphUrls['social-graph'], { ...s, variables: { ...s.variables, representations: reps } }, reader.id),
    );
    const results = usersParallel ? await Promise.all(calls.map((c) => c())) : [await calls[0]!(), await calls[1]!()];
    for (const result of results) if ((must(result, 'direct users/social-graph')._entities as unknown[]).length !== reps.length) throw new Error('direct: wrong batch');
    if (posts.length !== 20) throw new Error(`direct: ${posts.length} posts`);
  };
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

  /** timeIt's sequential figures, and each process's CPU per request meanwhile. */
  const sequentially = async (iterations: number, warmup: number, fn: () => Promise<unknown>) => {
    for (let i = 0; i < warmup; i++) await fn();
    const cpuBefore = processSnapshot(installation.processGroup);
    const t = performance.now();
    const timing = await timeIt(iterations, fn, 0);
    const cpu = cpuBetween(cpuBefore, processSnapshot(installation.processGroup), (performance.now() - t) / 1000, iterations);
    return { ...timing, cpu };
  };
  progress('timing feed: sequential, then 16 and 64 concurrent clients, through the gateway and direct…');
  const gatewaySequential = await sequentially(500, 50, gatewayFeed);
  progress(`  gateway sequential: p50 ${gatewaySequential.p50} ms, p99 ${gatewaySequential.p99} ms; ${cpuLine(gatewaySequential.cpu)}`);
  const directSequential = await sequentially(500, 50, directFeed);
  progress(`  direct sequential: p50 ${directSequential.p50} ms, p99 ${directSequential.p99} ms; ${cpuLine(directSequential.cpu)}`);
  const gateway16 = await underLoad(installation.processGroup, 16, LOAD_MS, gatewayFeed);
  progress(`  gateway x16: ${gateway16.perSecond}/s, p50 ${gateway16.p50} ms, p99 ${gateway16.p99} ms; ${cpuLine(gateway16.cpu)}`);
  const direct16 = await underLoad(installation.processGroup, 16, LOAD_MS, directFeed);
  progress(`  direct x16: ${direct16.perSecond}/s, p50 ${direct16.p50} ms, p99 ${direct16.p99} ms; ${cpuLine(direct16.cpu)}`);
  const gateway64 = await underLoad(installation.processGroup, 64, LOAD_MS, gatewayFeed);
  progress(`  gateway x64: ${gateway64.perSecond}/s, p50 ${gateway64.p50} ms, p99 ${gateway64.p99} ms; ${cpuLine(gateway64.cpu)}`);
  const direct64 = await underLoad(installation.processGroup, 64, LOAD_MS, directFeed);
  progress(`  direct x64: ${direct64.perSecond}/s, p50 ${direct64.p50} ms, p99 ${direct64.p99} ms; ${cpuLine(direct64.cpu)}`);

  // -------------------------------------------------------------------------------------------
  const summary = {
    date: new Date().toISOString(),
    machine: '2 cores (node-svc)',
    setup:
      'npm start (bench/installation.ts): gateway, users, media, social-graph, feed and their 4 workers each a process of their own, a fresh embedded Postgres, ' +
      `the Redis at ${installation.redisUrl} under prefix ${PREFIX}; this process is the load generator (and part 2's Redis client)`,
    notes: [
      'The installation (10 Node processes with npm start itself, Postgres, Redis) and this load generator share 2 cores: the feed runs report the CPU each process used (percent of one core, 200% being the machine; and CPU ms per feed request), read from /proc.',
      'Other work may have been running on the machine (load average before/after below; "outside:" processes in the CPU figures): compare ratios, not absolute times.',
    ],
    loadAverage: { before: loadBefore, after: loadavg().map((n) => round(n)) },
    fanOut: {
      path: 'createPost through the gateway (its upload already processed, so published at once) → media outbox → media worker relay → BullMQ feed.post-created → feed worker fanOutPost → social-graph /internal/follower-ids (pages of 1,000, newest follow first) → TimelineStore.addToMany → Redis',
      seeding: "follows and follow_counts written by social-graph's bulk seed module (subgraphs/social-graph/src/seed.ts); authors have no users row (media and the gateway need only a valid access token, issued here with the installation's key)",
      timelines: "every follower's timeline was made to exist first (TimelineStore.rebuild(id, () => []), as a first read does): the fan-out writes only existing timelines",
      detection:
        "the oldest follower's timeline (on the last page, written last) gets the post in the same script call that publishes it on that follower's live feed channel: the bench subscribes to that channel and timestamps the message; then every follower's timeline is checked with pipelined ZSCOREs",
      wholeJob: 'jobFinishedMs: the feed job done (timelines, then NEW_POST notifications, one transaction per 1,000); allIdleMs: every queue idle, i.e. also the feed outbox relayed and the users worker done with one push-notification job per NEW_POST notification',
      celebrityThreshold,
      fanoutConcurrency: feedConfig.FANOUT_CONCURRENCY,
      targetsMs: { 1000: 50, 10000: 200, 100000: 1000 },
      bySize: fanOut,
    },
    insertRate: {
      redisBenchmark: {
        command: 'redis-benchmark -t zadd -P 1000 -n 2000000 -q -r 1000000',
        zaddPerSecond: Math.round(zaddPerSecond),
        membersAtEnd: randomCard,
        why: 'with -r the members are random among 1,000,000, so (almost) every ZADD is a real insert. Without -r every ZADD re-sets the same member of one key: no-ops after the first, not a ceiling for inserts',
        withoutRandomMembers: { command: 'redis-benchmark -t zadd -P 1000 -n 2000000 -q', zaddPerSecond: Math.round(zaddSameMemberPerSecond), note: 'for reference only' },
      },
      client: 'TimelineStore.addToMany called from this process (the feed code, the installation prefix), against the installation Redis',
      target: '>= 50% of redis-benchmark ZADD (-r)',
      sequential,
      twoInFlight,
      atCap: { ...atCap, timelineSizeAfter: fullCard, note: '1,000 timelines each at the 800 cap (plus the marker): every insert trims one' },
    },
    feedQuery: {
      reader: 'signed up, follows 4 authors (signed up and followed through the gateway); 20 posts, 1-2 images each; 7 liked and 5 commented by the reader',
      plan,
      planNote: 'recorded with a second gateway in this process (same code and supergraph) in front of recording proxies: sentAt/took include a proxy hop',
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
      targets: 'gateway <= 1.25x direct; p99 < 50 ms with 16 clients; the peers (Hive Gateway) are bench/gateways.ts',
    },
    totalSeconds: round((Date.now() - started) / 1000, 0),
  };
  console.log(JSON.stringify(summary, null, 2));
  const figures: BenchFigure[] = [];
  const targetMs: Record<number, number> = { 1000: 50, 10000: 200, 100000: 1000 };
  for (const size of SIZES) {
    const f = fanOut[size] as { p50Ms: number; maxMs: number; jobFinishedMs: { p50: number } | null; allIdleMs: { p50: number } };
    const workload = `fan-out, ${size.toLocaleString('en-US')} followers`;
    const target = targetMs[size];
    figures.push(
      { workload, metric: 'createPost → in every timeline, p50', value: f.p50Ms, unit: 'ms', ...(target ? { target: `< ${target} ms`, met: f.p50Ms < target } : {}) },
      { workload, metric: 'createPost → in every timeline, max', value: f.maxMs, unit: 'ms' },
      ...(f.jobFinishedMs ? [{ workload, metric: 'feed job done (NEW_POST notifications included), p50', value: f.jobFinishedMs.p50, unit: 'ms' }] : []),
      { workload, metric: 'every queue idle (push jobs included), p50', value: f.allIdleMs.p50, unit: 'ms' },
    );
  }
  figures.push(
    { workload: 'timeline inserts', metric: 'redis-benchmark -t zadd -P 1000 -r 1000000 (the ceiling)', value: Math.round(zaddPerSecond), unit: 'ZADD/s' },
    { workload: 'timeline inserts', metric: 'addToMany, pages of 1,000, sequential', value: sequential.insertsPerSecond, unit: 'inserts/s' },
    { workload: 'timeline inserts', metric: 'addToMany, 2 pages in flight', value: twoInFlight.insertsPerSecond, unit: 'inserts/s' },
    { workload: 'timeline inserts', metric: 'addToMany at the 800 cap', value: atCap.insertsPerSecond, unit: 'inserts/s' },
    { workload: 'timeline inserts', metric: 'fan-out inserts / ZADD ceiling (2 in flight)', value: twoInFlight.ofCeiling, unit: 'x', target: '>= 0.5x', met: twoInFlight.ofCeiling >= 0.5 },
  );
  const lines: [string, { p50: number; p99: number; perSecond?: number; p95?: number; cpu: { msPerRequest: Record<string, number> } }][] = [
    ['home feed through our gateway, 1 client', { ...gatewaySequential, perSecond: round(1000 / gatewaySequential.mean, 0) }],
    ['home feed direct to the subgraphs, 1 client', { ...directSequential, perSecond: round(1000 / directSequential.mean, 0) }],
    ['home feed through our gateway, 16 clients', gateway16],
    ['home feed direct to the subgraphs, 16 clients', direct16],
    ['home feed through our gateway, 64 clients', gateway64],
    ['home feed direct to the subgraphs, 64 clients', direct64],
  ];
  for (const [workload, r] of lines) {
    figures.push({ workload, metric: 'throughput', value: r.perSecond ?? 0, unit: 'req/s' }, { workload, metric: 'p50', value: r.p50, unit: 'ms' });
    if (r.p95 !== undefined) figures.push({ workload, metric: 'p95', value: r.p95, unit: 'ms' });
    figures.push({ workload, metric: 'p99', value: r.p99, unit: 'ms' });
    if (workload.includes('gateway')) figures.push({ workload, metric: 'gateway CPU per request', value: r.cpu.msPerRequest.gateway ?? 0, unit: 'ms' });
  }
  const ratio = (a: number, b: number) => round(a / b);
  figures.push(
    { workload: 'home feed, 1 client', metric: 'gateway / direct p50', value: ratio(gatewaySequential.p50, directSequential.p50), unit: 'x', target: '<= 1.25x', met: gatewaySequential.p50 / directSequential.p50 <= 1.25 },
    { workload: 'home feed, 16 clients', metric: 'gateway / direct p50', value: ratio(gateway16.p50, direct16.p50), unit: 'x', target: '<= 1.25x', met: gateway16.p50 / direct16.p50 <= 1.25 },
    { workload: 'home feed, 16 clients', metric: 'direct / gateway throughput', value: ratio(direct16.perSecond, gateway16.perSecond), unit: 'x', target: '<= 1.25x', met: direct16.perSecond / gateway16.perSecond <= 1.25 },
  );
  writeResults('feed', figures, summary);
} catch (e) {
  progress(`feed bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  await shutdown(1);
}
await shutdown(0);
