/**
 * Live updates: delivery latency from a `likePost` mutation (sent to the gateway) to the post
 * author's `notificationAdded` message (hydrated with fields from users, social-graph, media and
 * feed), with 1,000 subscriptions open on the gateway (or 10,000); and the gateway's memory per
 * open idle socket. Targets (PERFORMANCE.md): p99 < 50 ms in every one of 5 runs; < 30 KiB of
 * gateway memory per idle socket.
 * The product runs as `npm start` runs it (each service and worker its own process, embedded
 * Postgres, Redis at REDIS_URL or :6379); the idle clients run in a child process of their own
 * (bench/subscription-clients.ts), its open-file limit raised to fit its sockets.
 *   npx tsx bench/subscriptions.ts [--sockets 1000] [--runs 5] [--samples 200]
 */
import sharp from 'sharp';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { createAccessTokenIssuer } from '@shutter/auth';
import { newId } from '@shutter/db';
import { rssOf, startInstallation } from './installation.ts';
import { openSocketClients } from './socket-clients.ts';
import { cleanRedisPrefix, gatewayClient, progress, quantiles, writeResults, type BenchFigure } from './lib.ts';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || 0) || fallback;
const SOCKETS = arg('sockets', 1000);
const SAMPLES = arg('samples', 200);
const RUNS = arg('runs', 5);
const AUTHORS = 20;
// A like is made once per (liker, post): every sample of every run needs a pair of its own.
const LIKERS = Math.ceil((SAMPLES * RUNS) / AUTHORS);
const P99_GOAL_MS = 50;
const PER_SOCKET_GOAL_KIB = 30;

const installation = await startInstallation('subscriptions');
const tokenIssuer = await createAccessTokenIssuer(installation.secrets.accessTokenPrivateKey, 3600);
const redis = new Redis(installation.redisUrl);
const httpUrl = installation.gatewayUrl;
const gql = gatewayClient(httpUrl);
const wsUrl = httpUrl.replace(/^http/, 'ws');

const signUp = async (username: string): Promise<{ accessToken: string; user: { id: string } }> =>
  (await gql('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }', { i: { username, email: `${username}@example.com`, password: 'password123' } })).signUp;

progress(`signing up ${AUTHORS} authors and ${LIKERS} likers, one post each author…`);
const authors = await Promise.all(Array.from({ length: AUTHORS }, (_, i) => signUp(`author_${i}`)));
const likers = await Promise.all(Array.from({ length: LIKERS }, (_, i) => signUp(`liker_${i}`)));
const image = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#369' } }).jpeg().toBuffer();
const posts: string[] = [];
for (const author of authors) {
  const upload = (await gql('mutation($i: CreateUploadInput!) { createUpload(input: $i) { id uploadUrl } }', { i: { contentType: 'image/jpeg', byteSize: image.length } }, author.accessToken)).createUpload;
  await fetch(upload.uploadUrl, { method: 'PUT', body: image });
  posts.push((await gql('mutation($i: CreatePostInput!) { createPost(input: $i) { id } }', { i: { uploadIds: [upload.id] } }, author.accessToken)).createPost.id);
}
for (const id of posts) {
  while (!(await gql('query($id: ID!) { post(id: $id) { id media { url } } }', { id })).post?.media?.length) await new Promise((r) => setTimeout(r, 50));
}

const gatewayPid = installation.pidOn(installation.gatewayPort);

// The measured sockets: each author's, here, to timestamp messages.
const arrivals = new Map<string, (at: number) => void>();
const measured = authors.map((author, i) => {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${author.accessToken}` },
    onNonLazyError: (e) => progress(`measured socket closed: ${JSON.stringify(e)}`),
  });
  client.subscribe(
    { query: 'subscription { notificationAdded { id kind actor { username followerCount } post { id caption media { url } author { username } } } }' },
    {
      next: () => arrivals.get(posts[i]!)?.(performance.now()),
      error: (e) => progress(`measured socket error: ${JSON.stringify(e)}`),
      complete: () => {},
    },
  );
  return client;
});
await new Promise((r) => setTimeout(r, 500));

const idle = SOCKETS - AUTHORS;
progress(`opening ${idle} idle sockets from a child process…`);
const before = rssOf(gatewayPid);
const tokens = await Promise.all(Array.from({ length: idle }, async () => (await tokenIssuer.issue({ userId: newId(), sessionId: newId() })).token));
const clients = await openSocketClients({ wsUrl, tokens });
// Settled: the handshakes' garbage collected as the gateway would by itself, before RSS is read.
await new Promise((r) => setTimeout(r, 3000));
const after = rssOf(gatewayPid);
const open = SOCKETS;
const perSocket = { rssBytes: Math.round((after - before) / idle), gatewayRssBefore: before, gatewayRssAfter: after };
progress(`${open} sockets open; the gateway process grew by ${(perSocket.rssBytes / 1024).toFixed(1)} KiB per idle socket (RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB)`);

progress(`${RUNS} runs of ${SAMPLES} likes, one at a time: mutation sent → notificationAdded received…`);
// Where the time goes: when the mutation returns, and when the feed worker publishes the event.
const published = new Map<string, number>();
const tap = redis.duplicate();
await tap.psubscribe(`${installation.prefix}:live:notifications:*`);
tap.on('pmessage', (_pattern, channel) => published.set(channel.split(':').at(-1)!, performance.now()));
const stages = { mutation: [] as number[], toPublish: [] as number[], hydrateAndSend: [] as number[] };
const runs: ReturnType<typeof quantiles>[] = [];
let n = 0;
for (let run = 0; run < RUNS; run++) {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++, n++) {
    const postIndex = n % AUTHORS;
    const liker = likers[Math.floor(n / AUTHORS)]!;
    const postId = posts[postIndex]!;
    const arrived = new Promise<number>((resolve) => arrivals.set(postId, resolve));
    published.delete(authors[postIndex]!.user.id);
    const started = performance.now();
    await gql('mutation($id: ID!) { likePost(postId: $id) { id } }', { id: postId }, liker.accessToken);
    const mutated = performance.now();
    const at = await Promise.race([arrived, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`no message for like ${n}`)), 5000))]);
    samples.push(at - started);
    const publishedAt = published.get(authors[postIndex]!.user.id) ?? at;
    stages.mutation.push(mutated - started);
    stages.toPublish.push(publishedAt - mutated);
    stages.hydrateAndSend.push(at - publishedAt);
    arrivals.delete(postId);
  }
  runs.push(quantiles(samples));
  progress(`  run ${run + 1}: p50 ${runs[run]!.p50} ms, p99 ${runs[run]!.p99} ms, max ${runs[run]!.max} ms`);
}
await tap.quit();
const breakdown = { likePostRoundTrip: quantiles(stages.mutation), outboxToPublish: quantiles(stages.toPublish), hydrateAndSend: quantiles(stages.hydrateAndSend) };
progress(`  of which: likePost ${breakdown.likePostRoundTrip.p50} ms, then to the feed worker's publish ${breakdown.outboxToPublish.p50} ms, then hydration and send ${breakdown.hydrateAndSend.p50} ms (p50s)`);
const worstP99 = Math.max(...runs.map((r) => r.p99));
const workload = `likePost → notificationAdded, ${open.toLocaleString('en')} open sockets`;
const figures: BenchFigure[] = [
  { workload, metric: `p99 (worst of ${RUNS} runs)`, value: worstP99, unit: 'ms', target: `< ${P99_GOAL_MS} ms in every run`, met: worstP99 < P99_GOAL_MS },
  { workload, metric: `p50 (median of ${RUNS} runs)`, value: quantiles(runs.map((r) => r.p50)).p50, unit: 'ms' },
  { workload: `gateway memory, ${open.toLocaleString('en')} open sockets`, metric: 'RSS per idle socket', value: Math.round((perSocket.rssBytes / 1024) * 10) / 10, unit: 'KiB', target: `< ${PER_SOCKET_GOAL_KIB} KiB`, met: perSocket.rssBytes / 1024 < PER_SOCKET_GOAL_KIB },
];
writeResults(open >= 10_000 ? 'subscriptions-10k' : 'subscriptions', figures, {
  setup: 'npm start (each service and worker its own process); idle clients in a child process; measured clients and the mutations in the bench process',
  openSockets: open,
  samplesPerRun: SAMPLES,
  runs,
  breakdownMs: breakdown,
  gatewayMemoryPerIdleSocket: perSocket,
  openFileLimit: clients.fileLimits,
  idleSubscriptionErrors: clients.errors,
  notes: 'Latency includes the likePost round trip, the outbox relay, the feed worker, Redis pub/sub and hydration through the supergraph. Memory is the gateway process RSS growth per idle socket with one subscription, read 3 s after the last socket opened.',
});
console.log(JSON.stringify({ figures, runs }, null, 2));

await clients.close();
await Promise.all(measured.map((client) => client.dispose()));
await installation.stop();
await cleanRedisPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', installation.prefix);
redis.disconnect();
process.exit(0);
