import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@shutter/testing';

/**
 * The patched postgres.js (patches/postgres+3.4.9.patch, applied by npm install): a query sent to
 * a connection whose socket closed is settled with CONNECTION_CLOSED instead of crashing the
 * process from a setImmediate, and the pool recovers. Unpatched, the fixture's process dies with
 * "Cannot read properties of null (reading 'write')".
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrationsFolder: fileURLToPath(new URL('./fixtures/no-migrations', import.meta.url)) });
});

afterAll(async () => {
  await database?.drop();
});

describe('postgres.js after a connection closes', () => {
  it('settles the queries of a dead transaction and of a dead reserved connection, recovers after a terminated backend, and ends at once', () => {
    const run = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/postgres-closed-connection.mjs', import.meta.url))], {
      env: { ...process.env, DATABASE_URL: database.url },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).not.toContain('TypeError');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({
      transaction: 'CONNECTION_CLOSED',
      afterTransaction: 'resolved',
      reserved: 'CONNECTION_CLOSED',
      afterRelease: 'resolved',
      inFlight: 'CONNECTION_CLOSED',
      next: 'resolved',
      endMs: 'under 1 s',
    });
  });
});
