import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { runMigrations } from '@shutter/db';
import { ensurePostgres, ensureRedis, loadOrCreateSecrets, type LocalPostgres, type LocalRedis } from '@shutter/local-infra';

const dataDir = fileURLToPath(new URL('../.data', import.meta.url));

/** Postgres and Redis found as `npm start` and the tests find them. */
export async function benchInfra(): Promise<{ pg: LocalPostgres; redis: LocalRedis }> {
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'), []);
  const pg = await ensurePostgres({ dataDir: join(dataDir, 'postgres'), port: Number(process.env.SHUTTER_PG_PORT ?? 54329), password: secrets.postgresPassword });
  const redis = await ensureRedis({ dataDir: join(dataDir, 'redis'), port: Number(process.env.SHUTTER_REDIS_PORT ?? 6390) });
  return { pg, redis };
}

/** A fresh database named `name`, migrated with the given folder. */
export async function freshDatabase(adminUrl: string, name: string, service: { migrationsFolder: string }): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString(), service.migrationsFolder);
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** Runs `fn` `iterations` times after `warmup` runs; returns milliseconds at p50/p99 and the mean. */
export async function timeIt(iterations: number, fn: () => Promise<unknown>, warmup = 20) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  const { p50, p99, mean } = quantiles(samples);
  return { p50, p99, mean };
}

/** p50, p90, p99, max and mean of samples, in their unit, rounded. */
export function quantiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1)!), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

/** Deletes every key under `prefix:` (timelines, queues, channels' sets) in the Redis at `url`; returns how many. */
export async function cleanRedisPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  let cursor = '0';
  let deleted = 0;
  try {
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function progress(line: string) {
  process.stderr.write(`${line}\n`);
}

/** One figure of a benchmark, as `bench/README.md`'s table shows it. */
export interface BenchFigure {
  /** The workload, e.g. `feed through the gateway, 16 clients`. */
  workload: string;
  /** What is measured, e.g. `p99`, `throughput`, `gateway CPU per request`. */
  metric: string;
  value: number;
  unit: string;
  /** The goal, in words, where PERFORMANCE.md or an issue sets one (`< 50 ms`). */
  target?: string;
  /** Whether the goal is met, where one is set. */
  met?: boolean;
}

/**
 * Writes `bench/results/<name>.json`: the figures for the table, the details, and where and when
 * they were taken (machine, load average, git revision), so a figure is never read out of context.
 */
export function writeResults(name: string, figures: BenchFigure[], details: Record<string, unknown>): void {
  let revision = 'unknown';
  let dirty = false;
  try {
    revision = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    // Not a git checkout (a tarball): the revision stays unknown.
  }
  const record = {
    name,
    date: new Date().toISOString(),
    revision: dirty ? `${revision}+changes` : revision,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${platform()} ${release()}` },
    loadAverage: loadavg().map((l) => round(l)),
    figures,
    details,
  };
  writeFileSync(new URL(`./results/${name}.json`, import.meta.url), JSON.stringify(record, null, 2) + '\n');
}
