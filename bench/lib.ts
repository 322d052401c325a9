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
