/**
 * The product as `npm start` runs it (every service and worker its own process), on ports and a
 * data directory of its own, with a fresh embedded Postgres: for benchmarks that should see the
 * processes a deployment has, not one event loop shared by all.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pingRedis, type LocalSecrets } from '@shutter/local-infra';
import { progress } from './lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Installation {
  gatewayUrl: string;
  prefix: string;
  secrets: LocalSecrets;
  /** The pid of the process listening on a port (the gateway's, to read its memory). */
  pidOn(port: number): number;
  gatewayPort: number;
  /** The subgraphs' GraphQL URLs (portBase+1..+4 unless env moves them), for signed requests straight to them. */
  subgraphUrls: { users: string; media: string; 'social-graph': string; feed: string };
  /** The Redis the installation uses (REDIS_URL, :6379, or one it started in its data directory). */
  redisUrl: string;
  /** The embedded Postgres's port (SHUTTER_PG_PORT), and a superuser URL of one of its databases. */
  postgresPort: number;
  postgresUrl(database: string): string;
  /** `npm start`'s process group: every service, worker and the embedded Postgres are in it. */
  processGroup: number;
  /** Its data directory: the Postgres cluster, media's files (`media/`), secrets.json. */
  dataDir: string;
  /** Stops every process; the data directory is removed, or with `keepAs` moved there (a seed cache). */
  stop(options?: { keepAs?: string }): Promise<void>;
}

/**
 * Refuses to start over another installation: a port already taken would make this benchmark
 * measure (or reuse the Postgres of) whatever holds it.
 */
async function assertPortsFree(name: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) throw new Error(`${name}: port ${port} is in use (another benchmark or npm start?); set BENCH_PORT_OFFSET to move this installation's ports`);
  }
}

/** Resident memory of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(line?.[1] ?? 0) * 1024;
}

export async function startInstallation(
  name: string,
  /** `from`: a data directory an earlier installation kept (bench/seed.ts's cache), copied, not used in place. */
  options: { portBase?: number; env?: Record<string, string>; from?: string } = {},
): Promise<Installation> {
  // BENCH_PORT_OFFSET moves every installation's ports and Redis prefix, so two benchmarks (or two
  // checkouts) can run at once on one machine.
  const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0);
  const portBase = (options.portBase ?? 4100) + offset;
  const dataDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  // As root, Postgres runs as the postgres user: it can enter the directory, so the cluster stays in
  // it (not under /var/lib/shutter, where it would outlive the benchmark).
  chmodSync(dataDir, 0o755);
  // cp -a: the cluster's files keep their owner (the postgres user, when run as root) and modes.
  if (options.from) execFileSync('cp', ['-a', `${options.from}/.`, dataDir]);
  const prefix = offset ? `bench-${name}-${offset}` : `bench-${name}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHUTTER_DATA_DIR: dataDir,
    SHUTTER_PG_PORT: String(54_349 + portBase - 4100),
    GATEWAY_PORT: String(portBase),
    USERS_PORT: String(portBase + 1),
    MEDIA_PORT: String(portBase + 2),
    SOCIAL_GRAPH_PORT: String(portBase + 3),
    FEED_PORT: String(portBase + 4),
    // npm start's web server too: off the default 3000, beside the others.
    WEB_PORT: String(portBase + 10),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    // A benchmark is one client doing what thousands would: the rate limits are still checked (their
    // Redis calls are part of what a request costs), with buckets it cannot empty.
    ...Object.fromEntries(['IP', 'USER', 'LOG_IN', 'LOG_IN_ACCOUNT', 'SIGN_UP', 'REFRESH_SESSION', 'CREATE_UPLOAD', 'WS_CONNECT'].map((b) => [`RATE_LIMIT_${b}`, '1000000000/1m'])),
    ...options.env,
  };
  delete env.POSTGRES_URL;
  // As ensureRedis (scripts/start.ts) finds it.
  const redisUrl =
    env.REDIS_URL ?? ((await pingRedis('127.0.0.1', 6379)) ? 'redis://127.0.0.1:6379' : `redis://127.0.0.1:${Number(env.SHUTTER_REDIS_PORT ?? 6390)}`);
  const postgresPort = Number(env.SHUTTER_PG_PORT);
  await assertPortsFree(name, [portBase, portBase + 1, portBase + 2, portBase + 3, portBase + 4, portBase + 10, postgresPort]);
  progress(`${name}: npm start on ports ${portBase}-${portBase + 4} (data in ${dataDir})…`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  // The last 64 KiB of the installation's log lines, for the error below (a long run logs a lot).
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-65_536));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: the whole group (start.ts, its services, Postgres) is told to stop.
      process.kill(-(child.pid as number), 'SIGINT');
      reject(new Error(`npm start was not ready in 120 s:\n${output}`));
    }, 120_000);
    child.stdout.on('data', () => {
      if (output.includes('shutter is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`npm start exited before it was ready:\n${output}`)));
  });
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecrets;
  return {
    gatewayUrl: `http://127.0.0.1:${portBase}/graphql`,
    gatewayPort: portBase,
    prefix,
    secrets,
    subgraphUrls: {
      users: `http://127.0.0.1:${env.USERS_PORT}/graphql`,
      media: `http://127.0.0.1:${env.MEDIA_PORT}/graphql`,
      'social-graph': `http://127.0.0.1:${env.SOCIAL_GRAPH_PORT}/graphql`,
      feed: `http://127.0.0.1:${env.FEED_PORT}/graphql`,
    },
    redisUrl,
    postgresPort,
    postgresUrl: (database) => `postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${postgresPort}/${database}`,
    processGroup: child.pid as number,
    dataDir,
    pidOn(port) {
      const listing = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
      const pid = Number(listing.match(/pid=(\d+)/)?.[1]);
      if (!pid) throw new Error(`nothing listens on ${port}`);
      return pid;
    },
    async stop({ keepAs } = {}) {
      process.kill(-(child.pid as number), 'SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (keepAs) execFileSync('mv', [dataDir, keepAs]);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
