import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
export async function freshDatabase(adminUrl: string, name: string, migrationsFolder: string): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString(), migrationsFolder);
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
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: round(at(0.5)), p99: round(at(0.99)), mean: round(samples.reduce((a, b) => a + b, 0) / samples.length) };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function progress(line: string) {
  process.stderr.write(`${line}\n`);
}
