import { fileURLToPath } from 'node:url';
import type { Job, Worker } from 'bullmq';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dropRedisPrefix, testRedisPrefix, testRedisUrl, type TestDatabase } from '@shutter/testing';
import { createInbox, createQueue, createRedisConnection, emitEvent, startOutboxRelay, startQueueWorkers, type EventJob, type OutboxRelay } from '../src/index.ts';

/**
 * Delivery that survives Redis losing data: the outbox relay, its reconciler and a consumer's
 * inbox, against real Postgres and Redis (a key prefix of this file's own, which is what gets
 * "flushed"). Each effect must happen once however the jobs are lost.
 */
const silent = { info: () => {}, warn: () => {}, error: () => {} };
let database: TestDatabase;
let sql: postgres.Sql;
let relay: OutboxRelay;
let workers: Worker[];
const prefix = testRedisPrefix();
const connection = createRedisConnection(testRedisUrl());
const queue = createQueue('feed.follow-created', { connection, prefix });
/** How often the consumer's handler ran for each event: the effect that must happen once. */
const handled = new Map<string, number>();
/** Set by a test: the next job waits, while it runs, until the test releases it. */
let holdNext = false;
let release: (() => void) | null = null;

const FOLLOW = { followerId: '01930000-0000-7000-8000-000000000001', followeeId: '01930000-0000-7000-8000-000000000002' };
const outboxRow = async (id: string) => (await sql<{ sent_at: Date | null; confirmed_at: Date | null }[]>`select sent_at, confirmed_at from outbox where id = ${id}`)[0]!;
/** An event, once relayed: the relay adds the job before its transaction marks the row sent, so a pass must wait for the mark. */
const emit = async () => {
  const id = await drizzle(sql).transaction((tx) => emitEvent(tx, 'follow.created', { ...FOLLOW, createdAt: new Date().toISOString() }));
  await expect.poll(async () => (await outboxRow(id)).sent_at, { timeout: 10_000 }).not.toBeNull();
  return id;
};
/** What a FLUSHALL does to this installation. */
const loseRedis = () => dropRedisPrefix(prefix);

beforeAll(async () => {
  database = await createTestDatabase({ migrationsFolder: fileURLToPath(new URL('./fixtures/migrations', import.meta.url)) });
  sql = postgres(database.url, { max: 4, onnotice: () => {} });
  // A very long interval: the test runs the reconciler's passes itself.
  relay = await startOutboxRelay({ sql, queues: { connection, prefix }, log: silent, reconcileIntervalMs: 3_600_000 });
  const noop = async () => undefined;
  workers = startQueueWorkers(
    {
      'feed.follow-created': async (job: Job<EventJob>) => {
        // A test can hold a job while it runs (to lose Redis under it).
        if (holdNext) {
          holdNext = false;
          await new Promise<void>((r) => (release = r));
        }
        handled.set(job.data.eventId, (handled.get(job.data.eventId) ?? 0) + 1);
        return 'done';
      },
      'feed.follow-deleted': noop,
      'feed.post-created': noop,
      'feed.post-deleted': noop,
      'feed.post-liked': noop,
      'feed.comment-added': noop,
    },
    { service: 'feed', connection, prefix, log: silent, inbox: createInbox(sql) },
  );
});

afterAll(async () => {
  await Promise.all((workers ?? []).map((w) => w.close()));
  await relay?.stop();
  await queue.close();
  await loseRedis();
  await connection.quit();
  await sql?.end();
  await database?.drop();
});

describe('the outbox reconciler and the inbox', () => {
  it('confirms an event once its job has completed, and then leaves it alone', async () => {
    const id = await emit();
    await relay.drain();
    await expect.poll(() => handled.get(id), { timeout: 5000 }).toBe(1);
    await expect.poll(async () => (await queue.getJobState(id)) === 'completed', { timeout: 5000 }).toBe(true);
    expect(await relay.reconcile()).toMatchObject({ confirmed: 1, readded: 0 });
    expect((await outboxRow(id)).confirmed_at).not.toBeNull();
    // Confirmed rows are not checked again: losing Redis now changes nothing.
    await loseRedis();
    expect(await relay.reconcile()).toEqual({ checked: 0, confirmed: 0, readded: 0 });
    expect(handled.get(id)).toBe(1);
  });

  it('re-adds a waiting job that Redis lost, which then runs once', async () => {
    await Promise.all(workers.map((w) => w.pause()));
    const id = await emit();
    await relay.drain();
    expect(await queue.getJobState(id)).toBe('waiting');
    // Still waiting: nothing to do yet.
    expect(await relay.reconcile()).toMatchObject({ checked: 1, confirmed: 0, readded: 0 });
    await loseRedis();
    expect(await queue.getJobState(id)).toBe('unknown');
    expect(await relay.reconcile()).toMatchObject({ checked: 1, confirmed: 0, readded: 1 });
    expect((await queue.getJob(id))?.data).toMatchObject({ event: 'follow.created', eventId: id, payload: FOLLOW });
    workers.forEach((w) => w.resume());
    await expect.poll(() => handled.get(id), { timeout: 5000 }).toBe(1);
    await expect.poll(async () => (await relay.reconcile()).confirmed, { timeout: 5000 }).toBe(1);
    expect(handled.get(id)).toBe(1);
  });

  it('re-adds a completed job that was trimmed before a pass saw it: the inbox skips it, so it is harmless', async () => {
    const id = await emit();
    await relay.drain();
    await expect.poll(() => handled.get(id), { timeout: 5000 }).toBe(1);
    await expect.poll(async () => (await queue.getJobState(id)) === 'completed', { timeout: 5000 }).toBe(true);
    // What removeOnComplete does to an old or the 100,001st completed job.
    await (await queue.getJob(id))!.remove();
    expect(await relay.reconcile()).toMatchObject({ readded: 1 });
    await expect.poll(async () => (await queue.getJob(id))?.returnvalue, { timeout: 5000 }).toEqual({ skipped: 'already handled (inbox)' });
    expect(handled.get(id)).toBe(1);
    expect(await relay.reconcile()).toMatchObject({ confirmed: 1, readded: 0 });
  });

  it('an event whose job Redis lost while it ran is handled once', async () => {
    holdNext = true;
    const id = await emit();
    await relay.drain();
    await expect.poll(() => release !== null, { timeout: 5000 }).toBe(true);
    await loseRedis();
    release!();
    await expect.poll(() => handled.get(id), { timeout: 5000 }).toBe(1);
    // BullMQ could not record the completion (the job's keys were gone); the inbox did.
    expect(await queue.getJobState(id)).toBe('unknown');
    expect(await relay.reconcile()).toMatchObject({ readded: 1 });
    await expect.poll(async () => (await queue.getJob(id))?.returnvalue, { timeout: 5000 }).toEqual({ skipped: 'already handled (inbox)' });
    expect(handled.get(id)).toBe(1);
    expect(await relay.reconcile()).toMatchObject({ confirmed: 1 });
  });
});
