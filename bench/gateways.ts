/**
 * Our gateway against the peers a user would pick instead, on the same supergraph
 * (schema/supergraph.graphql), the same subgraphs (one installation, bench/installation.ts, ports
 * 4400-4404) and the same signing (packages/auth), in the same run:
 *   - ours: the installation's gateway (Apollo Gateway's planner and executor, our data sources);
 *   - hive-gateway: Hive Gateway 2.15 (`@graphql-hive/gateway`), bench/peer-gateway.ts, :4450;
 *   - hive-gateway-rust: the same with the Rust query planner (`@graphql-hive/router-runtime`), :4451.
 * The data is bench/seed.ts's (10,000 full accounts, 100,000 light ones, a Zipf follower graph,
 * 100,000 posts with images, likes and comments; cached after its first run). Hive's
 * `deduplicateInflightRequests` is off, and requests go round-robin over 500 seeded viewers (the
 * profile page: 500 accounts) so nothing can be merged. Subgraph calls per request are counted for every gateway
 * through counting proxies (a separate instance of each gateway pointed at them, so the timed runs
 * have no proxy hop), and the three answers are checked to be the same data.
 * Workloads: (1)/(3) the home `feed` (20 posts with author, images, counts, viewerHasLiked) and (5) a
 * profile page (`user(username)` with counts and the first 12 posts in a grid); each at 1, 16 and
 * 64 closed-loop clients, in interleaved rounds (the order rotates each round), from this process
 * (the load generator) over loopback; CPU per request of every process from /proc, and (9) the RSS
 * of every process at rest and under load.
 *   npx tsx bench/gateways.ts       (GATEWAYS_BENCH_ROUNDS=3, GATEWAYS_BENCH_LOAD_MS=4000 per run)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { createAccessTokenIssuer } from '@shutter/auth';
import { newId } from '@shutter/db';
import { loadGatewayConfig } from '../gateway/src/config.ts';
import { startGateway } from '../gateway/src/gateway.ts';
import { seededInstallation } from './seed.ts';
import { cleanRedisPrefix, cpuLine, processSnapshot, progress, quantiles, round, rssByLabel, underLoad, writeResults, type BenchFigure, type LoadResult } from './lib.ts';

const ROUNDS = Number(process.env.GATEWAYS_BENCH_ROUNDS) || 3;
const LOAD_MS = Number(process.env.GATEWAYS_BENCH_LOAD_MS) || 4000;
const CONCURRENCY = [1, 16, 64];
/** Viewers of the seeded data, one per request round-robin, and as many profiles. */
const READERS = 500;
const PORT_BASE = 4400;
const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0);
const started = Date.now();

const seeded = await seededInstallation('gateways', { portBase: PORT_BASE });
const { installation } = seeded;
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    progress('cleaning up…');
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    for (const close of closers.reverse()) await close().catch(() => {});
    await installation.stop();
    const removed = await cleanRedisPrefix(installation.redisUrl, installation.prefix);
    progress(`  installation stopped; ${removed.toLocaleString()} Redis keys under ${installation.prefix}: removed`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

const must = (result: any, what: string): any => {
  if (!result?.data || result.errors) throw new Error(`${what}: ${JSON.stringify(result?.errors ?? result).slice(0, 500)}`);
  return result.data;
};
const post = async (url: string, payload: { query: string; variables?: unknown }, token?: string): Promise<any> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(payload),
  });
  return response.json();
};
const viaOurs = (payload: { query: string; variables?: unknown }, token?: string) => post(installation.gatewayUrl, payload, token);
/** `items` through `fn`, `width` at a time. */
const inParallel = async <T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  }));
  return out;
};

export const FEED_QUERY = `query HomeFeed($first: Int!) { feed(first: $first) {
  edges { cursor node { id caption createdAt likeCount commentCount viewerHasLiked
    author { id username displayName followerCount }
    media { url width height blurhash } } }
  pageInfo { hasNextPage endCursor } } }`;
export const PROFILE_QUERY = `query Profile($username: String!) { user(username: $username) {
  id username displayName bio followerCount followingCount postCount viewerIsFollowing
  posts(first: 12) { edges { node { id likeCount commentCount media { url width height blurhash } } } pageInfo { hasNextPage endCursor } } } }`;

try {
  // -------------------------------------------------------------------------------------------
  // The seeded data (bench/seed.ts): READERS of its home-feed viewers, spread over the ranks, with
  // tokens issued by the installation's key; each one's first read builds its timeline through the
  // feed's own rebuild path, before anything is timed.
  const { dataset } = seeded;
  const issuer = await createAccessTokenIssuer(installation.secrets.accessTokenPrivateKey, 6 * 3600);
  const step = Math.max(1, Math.floor(dataset.viewers.length / READERS));
  const readers = await Promise.all(
    dataset.viewers
      .filter((_, i) => i % step === 0)
      .slice(0, READERS)
      .map(async (v) => ({ ...v, token: (await issuer.issue({ userId: v.id, sessionId: newId() })).token })),
  );
  const profiles = dataset.profiles.slice(0, READERS);
  progress(`gateways: ${readers.length} viewers and ${profiles.length} profiles of the seeded data; first reads build the viewers' timelines…`);
  await inParallel(readers, 8, async (r) => must(await viaOurs({ query: FEED_QUERY, variables: { first: 20 } }, r.token), 'first feed read'));

  // -------------------------------------------------------------------------------------------
  // The peers, each a process of its own.
  const { secrets } = installation;
  const startPeer = async (label: string, port: number, subgraphUrls: Record<string, string>, rust: boolean): Promise<{ url: string; child: ChildProcess }> => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/peer-gateway.ts', label], {
      cwd: new URL('..', import.meta.url),
      env: {
        ...process.env,
        PEER_PORT: String(port),
        PEER_SUBGRAPH_URLS: JSON.stringify(subgraphUrls),
        GATEWAY_SIGNING_SECRET: secrets.gatewaySigningSecret,
        ACCESS_TOKEN_PUBLIC_KEY: secrets.accessTokenPublicKey,
        HIVE_ROUTER_RUNTIME: rust ? '1' : '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} did not listen in 60 s`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`${label} exited (${code})`)));
    });
    return { url: `http://127.0.0.1:${port}/graphql`, child };
  };
  const stopPeer = async (peer: { child: ChildProcess }) => {
    if (peer.child.exitCode !== null) return;
    const exited = new Promise((resolve) => peer.child.once('exit', resolve));
    peer.child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
  };

  // -------------------------------------------------------------------------------------------
  // Subgraph calls per request, for every gateway: counting proxies in front of the subgraphs.
  progress('counting subgraph calls per request (each gateway in front of counting proxies)…');
  const calls: { subgraph: string; representations: number | null }[] = [];
  const countingProxy = (subgraph: string, target: string): Promise<{ url: string; server: Server }> => {
    const server = createServer(async (req, res) => {
      const parts: Buffer[] = [];
      for await (const chunk of req) parts.push(chunk as Buffer);
      const body = Buffer.concat(parts).toString('utf8');
      const reps = (JSON.parse(body) as { variables?: { representations?: unknown[] } }).variables?.representations;
      calls.push({ subgraph, representations: Array.isArray(reps) ? reps.length : null });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
      const answer = await fetch(target, { method: 'POST', headers, body });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(await answer.text());
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`, server })));
  };
  const proxies = Object.fromEntries(await Promise.all(Object.entries(installation.subgraphUrls).map(async ([name, url]) => [name, await countingProxy(name, url)] as const)));
  const proxyUrls = Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.url]));
  const countingOurs = await startGateway(
    loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_SIGNING_SECRET: secrets.gatewaySigningSecret,
      ACCESS_TOKEN_PUBLIC_KEY: secrets.accessTokenPublicKey,
      REDIS_URL: installation.redisUrl,
      QUEUE_PREFIX: installation.prefix,
      LOG_LEVEL: 'error',
      USERS_URL: proxyUrls.users!,
      SOCIAL_GRAPH_URL: proxyUrls['social-graph']!,
      MEDIA_URL: proxyUrls.media!,
      FEED_URL: proxyUrls.feed!,
    }),
    { logger: pino({ level: 'error' }, pino.destination(2)) },
  );
  const countingHive = await startPeer('hive-gateway-counting', 4460 + offset, proxyUrls, false);
  const countingRust = await startPeer('hive-gateway-rust-counting', 4461 + offset, proxyUrls, true);
  const workloads = {
    feed: { query: FEED_QUERY, variables: (_n: number) => ({ first: 20 }), check: (d: any) => d.feed.edges.length === 20 && d.feed.edges.every((e: any) => e.node.media.length > 0 && e.node.author.username) },
    profile: {
      query: PROFILE_QUERY,
      variables: (n: number) => ({ username: profiles[n % profiles.length]!.username }),
      check: (d: any) => d.user.posts.edges.length === 12 && d.user.posts.edges.every((e: any) => e.node.media.length > 0) && d.user.postCount >= 12,
    },
  };
  type WorkloadName = keyof typeof workloads;
  const callCounts: Record<string, Record<WorkloadName, { perRequest: number; bySubgraph: Record<string, number>; representations: Record<string, number[]> }>> = {};
  const answers: Record<string, Record<WorkloadName, unknown[]>> = {};
  const SAMPLE = 12;
  for (const [label, url] of [['ours', countingOurs.graphqlUrl], ['hive-gateway', countingHive.url], ['hive-gateway-rust', countingRust.url]] as const) {
    callCounts[label] = {} as (typeof callCounts)[string];
    answers[label] = {} as (typeof answers)[string];
    for (const [name, w] of Object.entries(workloads) as [WorkloadName, (typeof workloads)[WorkloadName]][]) {
      calls.length = 0;
      const got: unknown[] = [];
      for (let n = 0; n < SAMPLE; n++) {
        const data = must(await post(url, { query: w.query, variables: w.variables(n) }, readers[n % readers.length]!.token), `${name} through ${label}`);
        if (!w.check(data)) throw new Error(`${name} through ${label}: unexpected answer ${JSON.stringify(data).slice(0, 300)}`);
        got.push(data);
      }
      const bySubgraph: Record<string, number> = {};
      const representations: Record<string, number[]> = {};
      for (const c of calls) {
        bySubgraph[c.subgraph] = round((bySubgraph[c.subgraph] ?? 0) + 1 / SAMPLE);
        if (c.representations !== null) (representations[c.subgraph] ??= []).push(c.representations);
      }
      callCounts[label]![name] = { perRequest: round(calls.length / SAMPLE), bySubgraph, representations: Object.fromEntries(Object.entries(representations).map(([k, v]) => [k, [...new Set(v)]])) };
      answers[label]![name] = got;
      progress(`  ${name} through ${label}: ${round(calls.length / SAMPLE)} subgraph calls per request ${JSON.stringify(bySubgraph)}`);
    }
  }
  // The same data from every gateway (the same requests, the same viewers).
  const sameAnswers = (Object.keys(workloads) as WorkloadName[]).every((name) => JSON.stringify(answers['hive-gateway']![name]) === JSON.stringify(answers.ours![name]) && JSON.stringify(answers['hive-gateway-rust']![name]) === JSON.stringify(answers.ours![name]));
  if (!sameAnswers) throw new Error('the gateways answered the same requests differently');
  progress('  every gateway answered the same requests with the same data');
  await countingOurs.close();
  await stopPeer(countingHive);
  await stopPeer(countingRust);
  await Promise.all(Object.values(proxies).map((p) => new Promise((resolve) => p.server.close(resolve))));

  // -------------------------------------------------------------------------------------------
  // The timed runs: each gateway straight to the subgraphs.
  const hive = await startPeer('hive-gateway', 4450 + offset, installation.subgraphUrls, false);
  const hiveRust = await startPeer('hive-gateway-rust', 4451 + offset, installation.subgraphUrls, true);
  const gateways = [
    { label: 'ours', url: installation.gatewayUrl, process: 'gateway' },
    { label: 'hive-gateway', url: hive.url, process: 'hive-gateway' },
    { label: 'hive-gateway-rust', url: hiveRust.url, process: 'hive-gateway-rust' },
  ];
  const request = (url: string, name: WorkloadName) => async (n: number) => {
    const w = workloads[name];
    const result = await post(url, { query: w.query, variables: w.variables(n) }, readers[n % readers.length]!.token);
    if (result.errors || !result.data || !w.check(result.data)) throw new Error(`${name} through ${url}: ${JSON.stringify(result).slice(0, 300)}`);
  };
  for (const g of gateways) for (let n = 0; n < 100; n++) await request(g.url, 'feed')(n); // warm: plans cached, pools open
  const atRest = rssByLabel(processSnapshot(installation.processGroup));
  progress(`RSS at rest (MiB): ${JSON.stringify(atRest)}`);

  const runs: Record<string, LoadResult[]> = {};
  const rssUnderLoad: Record<string, number>[] = [];
  const key = (g: string, w: string, c: number) => `${w} ${g} x${c}`;
  const totalRuns = ROUNDS * gateways.length * CONCURRENCY.length + ROUNDS * CONCURRENCY.length;
  let done = 0;
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    // Rotated each round, so no gateway always runs first (or right after another's load).
    const order = gateways.map((_, i) => gateways[(i + round_) % gateways.length]!);
    for (const g of order) {
      for (const clients of CONCURRENCY) {
        const result = await underLoad(installation.processGroup, clients, LOAD_MS, request(g.url, 'feed'), 1000, (snapshot) => {
          if (clients === 64) rssUnderLoad.push(rssByLabel(snapshot));
        });
        (runs[key(g.label, 'feed', clients)] ??= []).push(result);
        progress(`  [${++done}/${totalRuns}] round ${round_ + 1} feed ${g.label} x${clients}: ${result.perSecond}/s, p50 ${result.p50} ms, p99 ${result.p99} ms; ${cpuLine(result.cpu)}`);
      }
    }
    for (const clients of CONCURRENCY) {
      const result = await underLoad(installation.processGroup, clients, LOAD_MS, request(installation.gatewayUrl, 'profile'));
      (runs[key('ours', 'profile', clients)] ??= []).push(result);
      progress(`  [${++done}/${totalRuns}] round ${round_ + 1} profile ours x${clients}: ${result.perSecond}/s, p50 ${result.p50} ms, p99 ${result.p99} ms; ${cpuLine(result.cpu)}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Medians over the rounds.
  const median = (values: number[]) => quantiles(values).p50;
  const summary = (k: string, processLabel: string) => {
    const rs = runs[k]!;
    return {
      perSecond: median(rs.map((r) => r.perSecond)),
      p50: median(rs.map((r) => r.p50)),
      p95: median(rs.map((r) => r.p95)),
      p99: median(rs.map((r) => r.p99)),
      gatewayCpuMsPerRequest: median(rs.map((r) => r.cpu.msPerRequest[processLabel] ?? 0)),
      machineCpuMsPerRequest: median(rs.map((r) => round(Object.values(r.cpu.msPerRequest).reduce((a, b) => a + b, 0)))),
    };
  };
  const figures: BenchFigure[] = [];
  const results: Record<string, ReturnType<typeof summary>> = {};
  for (const [w, list] of [['feed', gateways], ['profile', gateways.slice(0, 1)]] as const) {
    for (const g of list) {
      for (const clients of CONCURRENCY) {
        const s = summary(key(g.label, w, clients), g.process);
        results[key(g.label, w, clients)] = s;
        const workload = `${w === 'feed' ? 'home feed' : 'profile page'}, ${g.label}, ${clients} client${clients > 1 ? 's' : ''}`;
        figures.push(
          { workload, metric: 'throughput', value: s.perSecond, unit: 'req/s' },
          { workload, metric: 'p50', value: s.p50, unit: 'ms' },
          { workload, metric: 'p95', value: s.p95, unit: 'ms' },
          { workload, metric: 'p99', value: s.p99, unit: 'ms', ...(clients === 16 ? { target: '< 50 ms', met: s.p99 < 50 } : {}) },
          { workload, metric: `${g.process} CPU per request`, value: s.gatewayCpuMsPerRequest, unit: 'ms' },
        );
      }
    }
  }
  for (const g of gateways) {
    figures.push({ workload: `home feed, ${g.label}`, metric: 'subgraph calls per request', value: callCounts[g.label]!.feed.perRequest, unit: 'calls' });
  }
  figures.push({ workload: 'profile page, ours', metric: 'subgraph calls per request', value: callCounts.ours!.profile.perRequest, unit: 'calls' });
  const ours16 = results[key('ours', 'feed', 16)]!;
  const hive16 = results[key('hive-gateway', 'feed', 16)]!;
  const rust16 = results[key('hive-gateway-rust', 'feed', 16)]!;
  figures.push(
    { workload: 'home feed, 16 clients', metric: 'ours / Hive Gateway throughput', value: round(ours16.perSecond / hive16.perSecond), unit: 'x', target: '>= 1.5x', met: ours16.perSecond / hive16.perSecond >= 1.5 },
    { workload: 'home feed, 16 clients', metric: 'ours / Hive Gateway + Rust planner throughput', value: round(ours16.perSecond / rust16.perSecond), unit: 'x', target: '>= 1x', met: ours16.perSecond >= rust16.perSecond },
    { workload: 'home feed, 16 clients', metric: 'Hive Gateway + Rust planner / Hive Gateway throughput', value: round(rust16.perSecond / hive16.perSecond), unit: 'x' },
  );
  const peakRss: Record<string, number> = {};
  for (const sample of rssUnderLoad) for (const [label, mib] of Object.entries(sample)) peakRss[label] = Math.max(peakRss[label] ?? 0, mib);
  for (const label of Object.keys({ ...atRest, ...peakRss }).sort()) {
    if (label.startsWith('outside:')) continue;
    figures.push({ workload: `memory, ${label}`, metric: 'RSS at rest', value: atRest[label] ?? 0, unit: 'MiB' });
    figures.push({ workload: `memory, ${label}`, metric: 'RSS under load (feed, 64 clients, peak of the samples)', value: peakRss[label] ?? 0, unit: 'MiB' });
  }
  writeResults('gateways', figures, {
    setup: `one installation (npm start, ports ${PORT_BASE + offset}-${PORT_BASE + offset + 4}); Hive Gateway and Hive Gateway + Rust planner as bench/peer-gateway.ts processes; this process is the load generator`,
    data: { seed: dataset.seed, scale: dataset.scale, counts: dataset.counts, followerCounts: dataset.followerCounts, largest: dataset.largest, viewers: readers.length, profiles: profiles.length },
    seed: { seededThisRunSeconds: seeded.seedSeconds, startedFromCacheSeconds: seeded.startSeconds, cache: seeded.cacheDir },
    rounds: ROUNDS,
    loadMsPerRun: LOAD_MS,
    uniqueness: `every request is one of ${readers.length} seeded viewers (profile: one of ${profiles.length} accounts), round-robin, so no two of 64 in-flight requests are alike; Hive's deduplicateInflightRequests is off`,
    differences: "our gateway also checks rate limits in Redis per request (installation.ts sets buckets it cannot empty); the peers do not: the peers' CPU per request lacks those Redis calls",
    subgraphCallsPerRequest: callCounts,
    sameAnswers,
    runs,
    medians: results,
    rssMiB: { atRest, underLoad: rssUnderLoad },
    totalSeconds: round((Date.now() - started) / 1000, 0),
  });
  progress(`gateways: done in ${round((Date.now() - started) / 1000, 0)} s`);
} catch (e) {
  progress(`gateways bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  await shutdown(1);
}
await shutdown(0);
