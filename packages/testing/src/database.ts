import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { inject } from 'vitest';
import { runMigrations } from '@shutter/db';

/** What the global setup hands every test file. */
declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    redisUrl: string;
  }
}

/**
 * What the global setup provides; outside vitest (a benchmark that starts a stack, bench/tracing.ts)
 * the environment's POSTGRES_URL / REDIS_URL.
 */
function provided(key: 'postgresAdminUrl' | 'redisUrl'): string {
  try {
    return inject(key);
  } catch (err) {
    const fromEnv = key === 'postgresAdminUrl' ? process.env.POSTGRES_URL : (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    if (fromEnv) return fromEnv;
    throw err;
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one test file, on the real Postgres found by the global setup, with the
 * service's committed migrations applied. Files run in parallel without sharing any rows.
 */
export async function createTestDatabase(service: { migrationsFolder: string }): Promise<TestDatabase> {
  const adminUrl = provided('postgresAdminUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString(), service.migrationsFolder);
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** A Redis key prefix of one test file, so files never see each other's keys. */
export const testRedisPrefix = (): string => `test:${randomBytes(4).toString('hex')}:`;

export const testRedisUrl = (): string => provided('redisUrl');

/** Deletes every Redis key under a test's prefix (queues, timelines): what the file made, nothing else. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl());
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
