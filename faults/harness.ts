/**
 * The product as `npm start` runs it (scripts/start.ts: every service, worker and the gateway its
 * own supervised process, the embedded Postgres), with everything of its own: a data directory,
 * free ports, a private Redis with AOF (the one these tests stop and flush) and a queue prefix. A
 * fault test breaks parts of it and watches what a user sees.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { stopCluster, type LocalSecrets } from '@shutter/local-infra';
import { freePort, startPrivateRedis, type PrivateRedis } from '@shutter/testing';
import { bulkInsertFollows } from '../subgraphs/social-graph/src/seed.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The processes `npm start` supervises, by the bundle each runs. */
export const PROCESSES = {
  users: 'subgraphs/users/dist/server.js',
  'users-worker': 'subgraphs/users/dist/worker.js',
  media: 'subgraphs/media/dist/server.js',
  'media-worker': 'subgraphs/media/dist/worker.js',
  'social-graph': 'subgraphs/social-graph/dist/server.js',
  'social-graph-worker': 'subgraphs/social-graph/dist/worker.js',
  feed: 'subgraphs/feed/dist/server.js',
  'feed-worker': 'subgraphs/feed/dist/worker.js',
  gateway: 'gateway/dist/server.js',
} as const;
export type ProcessName = keyof typeof PROCESSES;

export interface Shutter {
  name: string;
  gatewayUrl: string;
  wsUrl: string;
  ports: Record<'gateway' | 'users' | 'media' | 'social-graph' | 'feed' | 'postgres', number>;
  prefix: string;
  redis: PrivateRedis;
  /** A client of the private Redis (FLUSHALL, queue inspection), closed with the installation. */
  redisClient: Redis;
  secrets: LocalSecrets;
  clusterDir: string;
  /** Everything npm start printed so far. */
  output(): string;
  /** The pid of each supervised process now. */
  pids(): Partial<Record<ProcessName, number>>;
  pidOf(name: ProcessName): number;
  /** Resolves with the new pid once the supervisor has started `name` again after `oldPid`. */
  restarted(name: ProcessName, oldPid: number, timeoutMs?: number): Promise<number>;
  /** A superuser connection to one service's database (`shutter_feed`, ...). */
  db(database: string): postgres.Sql;
  /** The running postmaster's pid (from postmaster.pid), or null. */
  postmasterPid(): number | null;
  /** `pg_ctl restart -m fast`, as an operator would: the new postmaster is pg_ctl's, not npm start's. */
  restartPostgres(): Promise<number>;
  /** Ctrl-C: SIGINT to npm start's process group; resolves when it has exited, with how long that took. */
  interrupt(timeoutMs?: number): Promise<{ ms: number; code: number | null }>;
  /** Ends whatever is left and removes the data: safe to call whatever happened. */
  destroy(): Promise<void>;
}

/**
 * Runs a Postgres binary of the running server's installation (beside the postmaster's own binary,
 * wherever npm start took it from), as the user the cluster belongs to (as root, npm start runs
 * Postgres as `postgres`).
 */
function asClusterOwner(postmaster: number, binary: string, args: string[]) {
  const path = join(dirname(readlinkSync(`/proc/${postmaster}/exe`)), binary);
  const root = process.getuid?.() === 0;
  const [command, argv] = root ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  return spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
}

export async function startShutter(name: string, options: { env?: Record<string, string> } = {}): Promise<Shutter> {
  const dataDir = mkdtempSync(join(tmpdir(), `shutter-fault-${name}-`));
  // As root, Postgres runs as another user, who must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  const redis = await startPrivateRedis({ appendonly: true });
  const ports = {
    gateway: await freePort(),
    users: await freePort(),
    media: await freePort(),
    'social-graph': await freePort(),
    feed: await freePort(),
    postgres: await freePort(),
  };
  const prefix = `fault-${name}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHUTTER_DATA_DIR: dataDir,
    SHUTTER_PG_PORT: String(ports.postgres),
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    GATEWAY_PORT: String(ports.gateway),
    USERS_PORT: String(ports.users),
    MEDIA_PORT: String(ports.media),
    SOCIAL_GRAPH_PORT: String(ports['social-graph']),
    FEED_PORT: String(ports.feed),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    // Every client of these tests is 127.0.0.1, making more requests (and sign-ups) in a minute
    // than one person would: the gateway's rate limits, tested on their own, are off here.
    ...Object.fromEntries(['IP', 'USER', 'LOG_IN', 'LOG_IN_ACCOUNT', 'SIGN_UP', 'REFRESH_SESSION', 'CREATE_UPLOAD', 'WS_CONNECT'].map((b) => [`RATE_LIMIT_${b}`, 'off'])),
    ...options.env,
  };
  // The fresh-machine path: the embedded Postgres, in this data directory.
  for (const key of Object.keys(env)) if (key === 'POSTGRES_URL' || key.endsWith('_DATABASE_URL')) delete env[key];

  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  // Where npm start keeps the cluster: under the data directory, or (as root, when the postgres
  // user cannot enter it) where a note there says.
  const clusterOf = () => {
    const note = join(dataDir, 'postgres', 'cluster-location');
    return existsSync(note) ? readFileSync(note, 'utf8').trim() : join(dataDir, 'postgres', 'cluster');
  };
  let clusterDir = clusterOf();
  const clients: postgres.Sql[] = [];
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  redisClient.on('error', () => undefined);

  const pids = (): Partial<Record<ProcessName, number>> => {
    const found: Partial<Record<ProcessName, number>> = {};
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== child.pid) continue;
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        const process = (Object.keys(PROCESSES) as ProcessName[]).find((n) => cmdline.some((arg) => arg.endsWith(PROCESSES[n])));
        if (process) found[process] = Number(entry);
      } catch {
        // gone meanwhile
      }
    }
    return found;
  };
  const postmasterPid = () => {
    try {
      const pid = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  };

  const shutter: Shutter = {
    name,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}/graphql`,
    wsUrl: `ws://127.0.0.1:${ports.gateway}/graphql`,
    ports,
    prefix,
    redis,
    redisClient,
    secrets: null as unknown as LocalSecrets,
    clusterDir,
    output: () => output,
    pids,
    pidOf(process) {
      const pid = pids()[process];
      if (!pid) throw new Error(`${process} is not running`);
      return pid;
    },
    async restarted(process, oldPid, timeoutMs = 30_000) {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(20)) {
        const pid = pids()[process];
        if (pid && pid !== oldPid) return pid;
      }
      throw new Error(`${process} was not started again within ${timeoutMs / 1000} s:\n${output.slice(-3000)}`);
    },
    db(database) {
      const sql = postgres(`postgres://postgres:${encodeURIComponent(shutter.secrets.postgresPassword)}@127.0.0.1:${ports.postgres}/${database}`, { max: 2, onnotice: () => {} });
      clients.push(sql);
      return sql;
    },
    postmasterPid,
    async restartPostgres() {
      const started = performance.now();
      const postmaster = postmasterPid();
      if (postmaster === null) throw new Error('Postgres is not running');
      const result = asClusterOwner(postmaster, 'pg_ctl', ['restart', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60', '-l', join(clusterDir, 'restarted.log')]);
      if (result.status !== 0) throw new Error(`pg_ctl restart failed (${result.status}): ${result.stderr}${result.stdout}`);
      return performance.now() - started;
    },
    async interrupt(timeoutMs = 30_000) {
      const started = performance.now();
      if (running) process.kill(-child.pid!, 'SIGINT');
      const code = await Promise.race([exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
      if (code === 'timeout') throw new Error(`npm start did not stop within ${timeoutMs / 1000} s of Ctrl-C:\n${output.slice(-3000)}`);
      return { ms: performance.now() - started, code };
    },
    async destroy() {
      await Promise.all(clients.map((sql) => sql.end({ timeout: 1 }).catch(() => undefined)));
      redisClient.disconnect();
      if (running) {
        for (const pid of Object.values(pids())) killGroup(pid, 'SIGKILL');
        killGroup(child.pid!, 'SIGKILL');
        await Promise.race([exited, sleep(5000)]);
      }
      await stopCluster(clusterDir);
      await redis.destroy();
      rmSync(dataDir, { recursive: true, force: true });
      // A cluster kept outside the data directory (as root) goes too.
      if (!clusterDir.startsWith(dataDir)) rmSync(clusterDir, { recursive: true, force: true });
    },
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start was not ready in 240 s:\n${output.slice(-5000)}`)), 240_000);
      const check = () => {
        if (output.includes('shutter is running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited (${code}) before it was ready:\n${output.slice(-5000)}`));
      });
    });
    shutter.secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecrets;
    clusterDir = clusterOf();
    shutter.clusterDir = clusterDir;
    if (!existsSync(clusterDir)) throw new Error(`no cluster in ${clusterDir}`);
  } catch (e) {
    await shutter.destroy();
    throw e;
  }
  return shutter;
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/**
 * `count` followers of one account, the newest first, through social-graph's own bulk seed (a
 * sign-up each would cost an argon2 hash); the counters come out as follow() keeps them.
 */
export async function seedFollowers(shutter: Shutter, followeeId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const now = Date.now();
  await bulkInsertFollows(shutter.db('shutter_social_graph'), ids.map((followerId, i) => ({ followerId, followeeId, createdAt: new Date(now - i) })));
  return ids;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy; returns it, with how long it took. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 60_000, intervalMs = 50): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return { value, ms: performance.now() - started };
    } catch (e) {
      last = e;
    }
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(intervalMs);
  }
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The lines a fault test reports (README and the issue's note read them): printed, and kept for a summary. */
export function report(line: string): void {
  console.log(`FAULT ${line}`);
}
