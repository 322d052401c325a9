/**
 * Live fan-out: one post by an author whose followers all hold an open graphql-ws socket subscribed
 * to `feedPostAdded` (the web client's selection: author, images, counts, `viewerHasLiked`), and
 * the time until every socket has the post: first, p50 and last socket, from `createPost` sent and
 * from the feed worker's publish; with the gateway's CPU for it (/proc/<pid>/stat). Target
 * (PERFORMANCE.md): the last socket within 1 s of the post, 5,000 followers.
 * The product runs as `npm start` runs it (each service and worker its own process); the sockets
 * are opened by a child process (bench/subscription-clients.ts), so the gateway's figures are its
 * own. The followers follow through the gateway and read their feed once (so their timelines
 * exist, as an active user's do): the service's own write paths.
 *   npx tsx bench/live.ts [--followers 5000] [--runs 3] [--only web|no]   (one of the two selections)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { createAccessTokenIssuer } from '@shutter/auth';
import { newId } from '@shutter/db';
import { rssOf, startInstallation } from './installation.ts';
import { openSocketClients } from './socket-clients.ts';
import { cleanRedisPrefix, gatewayClient, progress, quantiles, round, writeResults, type BenchFigure } from './lib.ts';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || 0) || fallback;
const FOLLOWERS = arg('followers', 5000);
const RUNS = arg('runs', 3);
const GOAL_MS = 1000;
/**
 * The web client's FeedPostAdded (web/src/routes/feed/feed.tsx, PostCard_post's fragments spread),
 * with `viewerHasLiked`; and the same without the viewer's field, which every socket can share.
 */
const POST_FIELDS = `id caption hashtags createdAt commentCount likeCount
    author { id username avatar { id url width height blurhash } }
    media { id width height altText url blurhash variants { url width height } }`;
const SELECTIONS = {
  'web client selection, with viewerHasLiked': `subscription FeedPostAdded { feedPostAdded { ${POST_FIELDS} viewerHasLiked } }`,
  'no viewer field': `subscription FeedPostAdded { feedPostAdded { ${POST_FIELDS} } }`,
};

const installation = await startInstallation('live', { portBase: 4300 });
const tokenIssuer = await createAccessTokenIssuer(installation.secrets.accessTokenPrivateKey, 3600);
const redis = new Redis(installation.redisUrl);
const httpUrl = installation.gatewayUrl;
const gql = gatewayClient(httpUrl);

/** Runs fn over items, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
/** utime + stime of a process, in clock ticks (10 ms); and its parent. */
const statOf = (pid: number | string) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { ticks: Number(fields[11]) + Number(fields[12]), parent: Number(fields[1]) };
};
const cpuTicks = (pid: number) => statOf(pid).ticks;
/** The CPU ticks of the installation's other processes (npm start's descendants), by process: where the rest of a post's cost goes. */
const othersTicks = (gatewayPid: number) => {
  const stats = new Map<number, { ticks: number; parent: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.set(Number(entry), statOf(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const ours = (pid: number): boolean => pid === installation.processGroup || (pid > 1 && ours(stats.get(pid)?.parent ?? 0));
  const byProcess = new Map<string, number>();
  for (const [pid, stat] of stats) {
    if (pid === gatewayPid || !ours(pid)) continue;
    let label = 'postgres';
    try {
      label = readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/subgraphs\/([\w-]+)\/dist\/(\w+)/)?.slice(1).join(' ') ?? 'postgres and the rest';
    } catch {
      // Gone meanwhile.
    }
    byProcess.set(label, (byProcess.get(label) ?? 0) + stat.ticks);
  }
  return byProcess;
};
/** Each process's CPU milliseconds between two readings, largest first. */
const cpuBetween = (before: Map<string, number>, after: Map<string, number>) =>
  Object.fromEntries([...after].map(([label, ticks]) => [label, (ticks - (before.get(label) ?? 0)) * 10] as const).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]));

const author = (await gql('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }', { i: { username: 'live_author', email: 'live_author@example.com', password: 'password123' } })).signUp as { accessToken: string; user: { id: string } };
progress(`${FOLLOWERS} followers follow the author and read their feed once (through the gateway)…`);
// Followers need no users row: the gateway checks only the token's signature.
const followerIds = Array.from({ length: FOLLOWERS }, () => newId());
const followers = await Promise.all(followerIds.map(async (userId) => (await tokenIssuer.issue({ userId, sessionId: newId() })).token));
let done = 0;
await pool(followers, 32, async (token) => {
  await gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: author.user.id }, token);
  await gql('{ feed(first: 1) { edges { cursor } } }', {}, token);
  if (++done % 1000 === 0) progress(`  ${done} / ${FOLLOWERS}`);
});

const gatewayPid = installation.pidOn(installation.gatewayPort);
const image = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#369' } }).jpeg().toBuffer();
// The feed worker's publishes on the followers' channels: where the gateway's part starts.
const tap = redis.duplicate();
const published = new Map<string, { first: number; last: number; count: number }>();
tap.on('pmessage', (_pattern, _channel, message: string) => {
  const id = (JSON.parse(message) as { id?: string }).id;
  if (!id) return;
  const at = performance.timeOrigin + performance.now();
  const seen = published.get(id);
  if (seen) Object.assign(seen, { last: at, count: seen.count + 1 });
  else published.set(id, { first: at, last: at, count: 1 });
});
await tap.psubscribe(`${installation.prefix}:live:feed:*`);

interface Run { fromPostMs: ReturnType<typeof quantiles>; firstMs: number; lastMs: number; publishedMs: { first: number; last: number }; lastPublishToLastMs: number; delivered: number; gatewayCpuMs: number; otherProcessesCpuMs: Record<string, number> }
const figures: BenchFigure[] = [];
const details: Record<string, unknown> = { followers: FOLLOWERS };
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
for (const [selection, subscription] of Object.entries(SELECTIONS).filter(([name]) => !only || name.startsWith(only))) {
  const rssBefore = rssOf(gatewayPid);
  progress(`${selection}: opening ${FOLLOWERS} sockets from a child process…`);
  const clients = await openSocketClients({ wsUrl: httpUrl.replace(/^http/, 'ws'), tokens: followers, query: subscription });
  const rssOpen = rssOf(gatewayPid);
  progress(`${clients.opened} sockets open (${clients.errors} subscription errors); gateway RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssOpen / 2 ** 20).toFixed(0)} MiB`);
  const runs: Run[] = [];
  // Run 0 warms up (connection pools to the subgraphs, their Postgres pools, the JIT) and is not counted.
  for (let run = -1; run < RUNS; run++) {
    // The image is processed before the post is made, so the post is published by createPost itself.
    const upload = (await gql('mutation($i: CreateUploadInput!) { createUpload(input: $i) { id uploadUrl } }', { i: { contentType: 'image/jpeg', byteSize: image.length } }, author.accessToken)).createUpload;
    await fetch(upload.uploadUrl, { method: 'PUT', body: image });
    await sleep(2000);
    const cpuBefore = cpuTicks(gatewayPid);
    const othersBefore = othersTicks(gatewayPid);
    const sent = performance.timeOrigin + performance.now();
    const postId = (await gql('mutation($i: CreatePostInput!) { createPost(input: $i) { id } }', { i: { uploadIds: [upload.id] } }, author.accessToken)).createPost.id as string;
    // Every socket's message, or 10 s.
    let arrivals: number[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      arrivals = await clients.arrivals(postId);
      if (arrivals.length >= clients.opened - clients.errors) break;
      await sleep(50);
    }
    const cpuAfter = cpuTicks(gatewayPid);
    const othersAfter = othersTicks(gatewayPid);
    const fromPost = arrivals.map((at) => at - sent);
    const q = quantiles(fromPost.length ? fromPost : [NaN]);
    const publish = published.get(postId) ?? { first: NaN, last: NaN };
    const result: Run = {
      fromPostMs: q,
      firstMs: round(Math.min(...fromPost)),
      lastMs: round(Math.max(...fromPost)),
      publishedMs: { first: round(publish.first - sent), last: round(publish.last - sent) },
      lastPublishToLastMs: round(Math.max(...arrivals) - publish.last),
      delivered: arrivals.length,
      // Ticks are 10 ms; the polling above costs the gateway nothing (it is the child's IPC).
      gatewayCpuMs: (cpuAfter - cpuBefore) * 10,
      otherProcessesCpuMs: cpuBetween(othersBefore, othersAfter),
    };
    if (run >= 0) runs.push(result);
    progress(`  ${run < 0 ? 'warm-up' : `run ${run + 1}`}: ${result.delivered}/${FOLLOWERS} sockets; first ${result.firstMs} ms, p50 ${q.p50} ms, last ${result.lastMs} ms after createPost (published ${result.publishedMs.first}–${result.publishedMs.last} ms); gateway CPU ${result.gatewayCpuMs} ms, others ${JSON.stringify(result.otherProcessesCpuMs)} (ms)`);
    await sleep(1000);
  }
  await clients.close();
  const workload = `live fan-out: one post, ${FOLLOWERS.toLocaleString('en')} followers connected (${selection})`;
  // A socket whose subscription was refused (said above) cannot count; one that missed the post does.
  const subscribed = clients.opened - clients.errors;
  const worstLast = Math.max(...runs.map((r) => (r.delivered >= subscribed ? r.lastMs : Infinity)));
  figures.push(
    { workload, metric: `last socket (worst of ${RUNS} runs)`, value: Number.isFinite(worstLast) ? worstLast : -1, unit: 'ms', target: '< 1 s', met: worstLast < GOAL_MS },
    { workload, metric: `p50 socket (median of ${RUNS} runs)`, value: quantiles(runs.map((r) => r.fromPostMs.p50)).p50, unit: 'ms' },
    { workload, metric: `gateway CPU per post (median of ${RUNS} runs)`, value: quantiles(runs.map((r) => r.gatewayCpuMs)).p50, unit: 'ms' },
  );
  details[selection] = { subscription, runs, subscriptionErrors: clients.errors, openFileLimit: clients.fileLimits, gatewayRss: { beforeSockets: rssBefore, withSockets: rssOpen } };
}
await tap.quit();

writeResults('live', figures, {
  ...details,
  notes: 'Times are from createPost sent to each socket receiving its feedPostAdded (timed in the client child on receipt), and to the feed worker publishing on the first and last follower channel. A run that did not reach every socket in 10 s has a last socket of -1 (not met). Gateway CPU is utime+stime from /proc over the run.',
});
console.log(JSON.stringify({ figures }, null, 2));

await installation.stop();
await cleanRedisPrefix(installation.redisUrl, installation.prefix);
redis.disconnect();
process.exit(0);
