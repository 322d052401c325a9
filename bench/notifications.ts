/**
 * Workload 7 of issue #15: one post by an author with 100,000 followers → a NEW_POST notification
 * stored for each, and a push job queued for each follower's device.
 *
 * The product as `npm start` runs it (`installation.ts`, ports 4700-4704 before BENCH_PORT_OFFSET,
 * every service and worker its own process), with a local Web Push receiver that answers 201, so
 * the pushes are real (encrypted, signed with VAPID, POSTed). Seeded through the services' own bulk
 * seed functions: social-graph's `bulkInsertFollows`, users' `bulkInsertUsers` and `seedPushDevices` (accounts and push devices,
 * registered as the mutation registers them). The author signs up and posts through the gateway.
 *
 * From createPost's return, polled every POLL_MS:
 *   - timelines: the oldest follower's timeline (on the last page the fan-out writes) has the post;
 *   - stored: every follower's NEW_POST notification of the post is in the feed's database;
 *   - queued: every device's push.requested is relayed from users' outbox to BullMQ
 *     (`users.push-deliver`), i.e. every push job is queued;
 *   - idle: every queue is empty and every outbox relayed (the pushes delivered).
 *
 *   BENCH_PORT_OFFSET=2000 npx tsx bench/notifications.ts
 *   NOTIFICATIONS_BENCH_FOLLOWERS=100000 NOTIFICATIONS_BENCH_DEVICE_SHARE=0.1 NOTIFICATIONS_BENCH_RUNS=3
 */
import { createECDH, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import sharp from 'sharp';
import { newId } from '@shutter/db';
import { createRedisConnection, eventCatalogue, queuePrefix } from '@shutter/events';
import { createFeedDeps, feedDatabase, loadFeedConfig } from '@shutter/feed';
import { socialGraphDatabase } from '@shutter/social-graph';
import { PUSH_DELIVER_QUEUE, usersDatabase } from '@shutter/users';
import { bulkInsertFollows } from '../subgraphs/social-graph/src/seed.ts';
import { bulkInsertUsers, seedPushDevices } from '../subgraphs/users/src/seed.ts';
import { startInstallation } from './installation.ts';
import { cleanRedisPrefix, gatewayClient, progress, quantiles, round, writeResults, type BenchFigure } from './lib.ts';

const FOLLOWERS = Number(process.env.NOTIFICATIONS_BENCH_FOLLOWERS ?? 100_000);
const DEVICE_SHARE = Number(process.env.NOTIFICATIONS_BENCH_DEVICE_SHARE ?? 0.1);
const RUNS = Number(process.env.NOTIFICATIONS_BENCH_RUNS ?? 3);
const POLL_MS = 20;
const TARGET_MS = 2000;
const DEVICES = Math.round(FOLLOWERS * DEVICE_SHARE);

// A Web Push service on loopback: every push is answered 201 Created, as a browser vendor's does.
let pushesReceived = 0;
const pushService = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    pushesReceived++;
    res.writeHead(201).end();
  });
});
await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
const pushPort = (pushService.address() as AddressInfo).port;

const installation = await startInstallation('notifications', { portBase: 4700, env: { CELEBRITY_FOLLOWER_THRESHOLD: String(Math.max(1_000_000, FOLLOWERS * 2)) } });
const closers: (() => Promise<unknown>)[] = [];
async function shutdown(code: number): Promise<never> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await installation.stop();
  await cleanRedisPrefix(installation.redisUrl, installation.prefix);
  pushService.close();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));

try {
  const rawSql = (database: string) => {
    const sql = postgres(installation.postgresUrl(database), { max: 2, onnotice: () => {} });
    closers.push(() => sql.end({ timeout: 5 }));
    return sql;
  };
  const feedSql = rawSql('shutter_feed');
  const usersSql = rawSql('shutter_users');
  const mediaSql = rawSql('shutter_media');

  const gateway = gatewayClient(installation.gatewayUrl);

  // ---------------------------------------------------------------------------------------------
  // Seeding.
  const signedUp = await gateway(
    'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
    { input: { username: 'notifier', email: 'notifier@bench.test', password: 'correct horse battery' } },
  );
  const author = { id: signedUp.signUp.user.id as string, token: signedUp.signUp.accessToken as string };
  const followers = Array.from({ length: FOLLOWERS }, () => newId());

  let t = performance.now();
  progress(`seeding ${FOLLOWERS.toLocaleString()} followers, ${DEVICES.toLocaleString()} of them with a Web Push device on :${pushPort}…`);
  const socialGraphDb = socialGraphDatabase.connect(installation.postgresUrl('shutter_social_graph'), { max: 2 });
  closers.push(() => socialGraphDb.close());
  // Follower i followed at start + i ms: the first follower is the oldest follow.
  const followedFrom = Date.now() - 86_400_000;
  await bulkInsertFollows(socialGraphDb.sql, followers.map((followerId, i) => ({ followerId, followeeId: author.id, createdAt: new Date(followedFrom + i) })));
  const usersDb = usersDatabase.connect(installation.postgresUrl('shutter_users'), { max: 8 });
  closers.push(() => usersDb.close());
  // One browser key pair for every device: encryption to it is what a real one costs.
  const browser = createECDH('prime256v1');
  browser.generateKeys();
  const keys = { p256dh: browser.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
  const accounts = followers.slice(0, DEVICES);
  await bulkInsertUsers(
    usersDb.sql,
    accounts.map((id, i) => ({ id, username: `follower${i}`, email: `follower${i}@bench.test`, displayName: null, bio: null, createdAt: new Date() })),
    'seeded accounts do not log in',
  );
  await seedPushDevices(
    usersDb.db,
    accounts.map((userId, i) => ({ userId, platform: 'WEB_PUSH' as const, token: JSON.stringify({ endpoint: `http://127.0.0.1:${pushPort}/push/${i}`, keys }) })),
  );
  progress(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s; making every follower's timeline exist…`);

  // The fan-out writes only timelines that exist (a first read builds one): make them all exist.
  const redis = new Redis(installation.redisUrl);
  closers.push(async () => redis.disconnect());
  const feedConfig = loadFeedConfig({
    ...process.env,
    FEED_DATABASE_URL: installation.postgresUrl('shutter_feed'),
    GATEWAY_SIGNING_SECRET: installation.secrets.gatewaySigningSecret,
    REDIS_URL: installation.redisUrl,
    QUEUE_PREFIX: installation.prefix,
    LOG_LEVEL: 'error',
  });
  const feedDb = feedDatabase.connect(feedConfig.FEED_DATABASE_URL, { max: 1 });
  closers.push(() => feedDb.close());
  const { timelines } = createFeedDeps(feedConfig, feedDb.db, redis);
  t = performance.now();
  for (let i = 0; i < followers.length; i += 1000) await Promise.all(followers.slice(i, i + 1000).map((id) => timelines.rebuild(id, async () => [])));
  progress(`  timelines in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // Every queue an event goes through, and users' push deliveries.
  const queueConnection = createRedisConnection(installation.redisUrl);
  closers.push(async () => queueConnection.disconnect());
  const queueNames = [...new Set([...Object.values(eventCatalogue).flatMap((e) => [...e.queues]), PUSH_DELIVER_QUEUE])];
  const queues = queueNames.map((name) => new Queue(name, { connection: queueConnection, prefix: queuePrefix(installation.prefix, name) }));
  closers.push(() => Promise.all(queues.map((q) => q.close())));
  const unsent = async () => {
    const counts = await Promise.all(
      [feedSql, usersSql, mediaSql].map(async (sql) => (await sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`)[0]!.n),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
  const idle = async () => {
    const counts = await Promise.all(queues.map(async (q) => Object.values(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')).reduce((a, b) => a + b, 0)));
    return counts.every((n) => n === 0) && (await unsent()) === 0;
  };
  const waitIdle = async () => {
    const deadline = Date.now() + 10 * 60_000;
    while (!(await idle())) {
      if (Date.now() > deadline) throw new Error('the workers were not idle in 10 minutes');
      await sleep(POLL_MS);
    }
  };

  /**
   * CPU time (ms) of the installation's processes by role: each service and worker (told apart from
   * other installations' by their QUEUE_PREFIX), and Postgres (the postmaster on the installation's
   * port and its backends).
   */
  const postmaster = installation.pidOn(installation.postgresPort);
  const cpuByRole = (): Map<string, number> => {
    const procs = new Map<number, { parent: number; ms: number; cmd: string }>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
        procs.set(Number(entry), { parent: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * 10, cmd });
      } catch {
        // gone meanwhile
      }
    }
    const byRole = new Map<string, number>();
    const add = (role: string, ms: number) => byRole.set(role, (byRole.get(role) ?? 0) + ms);
    for (const [pid, { parent, ms, cmd }] of procs) {
      if (pid === postmaster || parent === postmaster) {
        add('postgres', ms);
        continue;
      }
      const role = cmd.match(/subgraphs\/([\w-]+)\/(?:src|dist)\/(server|worker)\.[jt]s|gateway\/(?:src|dist)\/server\.[jt]s/);
      if (!role) continue;
      let ours = false;
      try {
        ours = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`QUEUE_PREFIX=${installation.prefix}`);
      } catch {
        // gone, or not readable
      }
      if (ours) add(role[1] ? `${role[1]}${role[2] === 'worker' ? '-worker' : ''}` : 'gateway', ms);
    }
    return byRole;
  };
  const cpuSince = (before: Map<string, number>): Record<string, number> =>
    Object.fromEntries([...cpuByRole()].map(([role, ms]) => [role, ms - (before.get(role) ?? 0)] as const).filter(([, ms]) => ms > 0));

  const photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 90, b: 160 } } }).jpeg().toBuffer();
  /** A processed upload of the author's: a post of it is published at once. */
  const readyUpload = async (): Promise<string> => {
    const { createUpload } = await gateway(
      'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }',
      { input: { contentType: 'image/jpeg', byteSize: photo.length } },
      author.token,
    );
    const put = await fetch(createUpload.uploadUrl, { method: 'PUT', body: photo });
    if (!put.ok) throw new Error(`PUT upload: ${put.status}`);
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
      const [row] = await mediaSql<{ status: string }[]>`select status from uploads where id = ${createUpload.id}`;
      if (row?.status === 'ready') return createUpload.id;
      if (row?.status === 'failed') throw new Error('the upload failed to process');
    }
    throw new Error('the upload was not processed in 60 s');
  };

  // ---------------------------------------------------------------------------------------------
  // The runs.
  const oldestTimeline = timelines.key(followers[0]!);
  interface Run {
    timelinesMs: number;
    storedMs: number;
    queuedMs: number;
    idleMs: number;
    notifications: number;
    pushJobs: number;
    pushesReceived: number;
    /** CPU ms of each of the installation's processes from createPost's return until every push job was queued, and until idle. */
    cpuMsUntilQueued: Record<string, number>;
    cpuMsUntilIdle: Record<string, number>;
  }
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    await waitIdle();
    const uploadId = await readyUpload();
    await waitIdle();
    const pushesBefore = pushesReceived;
    const since = new Date(Date.now() - 1000);
    const { createPost } = await gateway('mutation($input: CreatePostInput!) { createPost(input: $input) { id } }', { input: { uploadIds: [uploadId] } }, author.token);
    const postId = createPost.id as string;
    const returned = performance.now();
    const cpuBefore = cpuByRole();
    let cpuUntilQueued: Record<string, number> = {};
    const at: Partial<Record<'timelinesMs' | 'storedMs' | 'queuedMs', number>> = {};
    let notifications = 0;
    let pushJobs = 0;
    for (const deadline = Date.now() + 5 * 60_000; at.timelinesMs === undefined || at.storedMs === undefined || at.queuedMs === undefined; await sleep(POLL_MS)) {
      if (Date.now() > deadline) throw new Error(`run ${run}: not done in 5 minutes (${JSON.stringify({ at, notifications, pushJobs })})`);
      const now = () => round(performance.now() - returned, 0);
      if (at.timelinesMs === undefined && (await redis.zscore(oldestTimeline, postId)) !== null) at.timelinesMs = now();
      if (at.storedMs === undefined) {
        notifications = (await feedSql<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId} and kind = 'NEW_POST'`)[0]!.n;
        if (notifications >= FOLLOWERS) at.storedMs = now();
      }
      if (at.queuedMs === undefined) {
        pushJobs = (
          await usersSql<{ n: number }[]>`select count(*)::int as n from outbox where event = 'push.requested' and sent_at is not null and created_at >= ${since}`
        )[0]!.n;
        if (pushJobs >= DEVICES) {
          at.queuedMs = now();
          cpuUntilQueued = cpuSince(cpuBefore);
        }
      }
    }
    await waitIdle();
    const cpuUntilIdle = cpuSince(cpuBefore);
    const result: Run = { timelinesMs: at.timelinesMs!, storedMs: at.storedMs!, queuedMs: at.queuedMs!, idleMs: round(performance.now() - returned, 0), notifications, pushJobs, pushesReceived: pushesReceived - pushesBefore, cpuMsUntilQueued: cpuUntilQueued, cpuMsUntilIdle: cpuUntilIdle };
    runs.push(result);
    progress(
      `run ${run}/${RUNS}: timelines +${result.timelinesMs} ms, ${notifications.toLocaleString()} NEW_POST stored +${result.storedMs} ms, ` +
        `${pushJobs.toLocaleString()} push jobs queued +${result.queuedMs} ms, idle (pushes delivered: ${result.pushesReceived.toLocaleString()}) +${result.idleMs} ms\n` +
        `  CPU ms until queued ${JSON.stringify(result.cpuMsUntilQueued)}; until idle ${JSON.stringify(result.cpuMsUntilIdle)}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
  }

  // The ceiling, in the same run (PERFORMANCE.md): 100,000 NEW_POST rows straight into the feed's
  // notifications table by `unnest`, in pages of 1,000, one statement per transaction, sequential
  // and 3 in flight (as the fan-out runs them), without the outbox, Redis or any service. Removed after.
  const ceilingPost = newId();
  const insertPages = async (inFlight: number): Promise<number> => {
    const pages = Array.from({ length: Math.ceil(FOLLOWERS / 1000) }, (_, i) => followers.slice(i * 1000, (i + 1) * 1000));
    const createdAt = new Date().toISOString();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let page = pages[next++]; page; page = pages[next++]) {
          await feedSql`
            insert into notifications (id, recipient_id, kind, actor_id, post_id, comment_id, dedupe_key, created_at)
            select * from unnest(${page.map(() => newId())}::uuid[], ${page}::uuid[], ${page.map(() => 'NEW_POST')}::text[]::notification_kind[],
              ${page.map(() => author.id)}::uuid[], ${page.map(() => ceilingPost)}::uuid[], ${page.map(() => null)}::uuid[],
              ${page.map(() => `ceiling:${ceilingPost}:${inFlight}`)}::text[], ${page.map(() => createdAt)}::text[]::timestamptz[])
            on conflict do nothing`;
        }
      }),
    );
    return performance.now() - started;
  };
  const ceilingSequentialMs = round(await insertPages(1), 0);
  const ceilingInFlightMs = round(await insertPages(3), 0);
  await feedSql`delete from notifications where post_id = ${ceilingPost}`;
  progress(`ceiling: ${FOLLOWERS.toLocaleString()} rows by unnest in pages of 1,000: ${ceilingSequentialMs} ms sequential, ${ceilingInFlightMs} ms 3 in flight`);

  const median = (key: 'timelinesMs' | 'storedMs' | 'queuedMs' | 'idleMs') => quantiles(runs.map((r) => r[key])).p50;
  const medianCpu = (role: string) => quantiles(runs.map((r) => r.cpuMsUntilQueued[role] ?? 0)).p50;
  const workload = `post → NEW_POST notifications, ${FOLLOWERS.toLocaleString()} followers (${DEVICES.toLocaleString()} with a device)`;
  const figures: BenchFigure[] = [
    { workload, metric: 'every NEW_POST stored (median)', value: median('storedMs'), unit: 'ms', target: `< ${TARGET_MS} ms`, met: median('storedMs') < TARGET_MS },
    { workload, metric: 'every push job queued (median)', value: median('queuedMs'), unit: 'ms', target: `< ${TARGET_MS} ms`, met: median('queuedMs') < TARGET_MS },
    { workload, metric: 'every timeline has the post (median)', value: median('timelinesMs'), unit: 'ms' },
    { workload, metric: 'ceiling: the same rows by unnest straight into Postgres, 3 pages in flight', value: ceilingInFlightMs, unit: 'ms' },
    { workload, metric: 'every queue idle, pushes delivered (median)', value: median('idleMs'), unit: 'ms' },
    ...['feed-worker', 'users-worker', 'postgres'].map((role) => ({ workload, metric: `${role} CPU until every push job is queued (median)`, value: medianCpu(role), unit: 'ms' })),
  ];
  for (const f of figures) progress(`${f.metric}: ${f.value} ${f.unit}${f.target ? ` (target ${f.target}: ${f.met ? 'met' : 'not met'})` : ''}`);
  writeResults('notifications', figures, {
    followers: FOLLOWERS,
    devices: DEVICES,
    runs,
    ceiling: { sequentialMs: ceilingSequentialMs, threeInFlightMs: ceilingInFlightMs, what: 'NEW_POST rows for every follower by INSERT … SELECT FROM unnest in pages of 1,000 from this process, straight into shutter_feed (no outbox, no Redis, no service); deleted after' },
    measured:
      'from createPost returning through the gateway; polled every 20 ms: the oldest follower’s timeline (ZSCORE; the last page written), count of NEW_POST rows of the post in shutter_feed, count of relayed push.requested rows in shutter_users’ outbox, then every queue empty and every outbox relayed',
    seeding: "social-graph's bulkInsertFollows and users' bulkInsertUsers and seedPushDevices (Web Push devices through registerPushDevice) against the installation's databases; the author signed up through the gateway",
    pushService: 'an HTTP server on loopback answering 201 to every push',
  });
  await shutdown(0);
} catch (err) {
  progress(err instanceof Error ? (err.stack ?? err.message) : String(err));
  await shutdown(1);
}
