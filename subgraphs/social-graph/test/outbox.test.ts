import { Queue } from 'bullmq';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection, queuePrefix, type EventJob } from '@shutter/events';
import { startSocialGraphWorker } from '../src/jobs/index.ts';
import { startSocialGraphHarness, type SocialGraphHarness } from './helpers.ts';

let h: SocialGraphHarness;
let worker: Awaited<ReturnType<typeof startSocialGraphWorker>>;
let created: Queue;
let deleted: Queue;
let sql: postgres.Sql;
const connection = () => createRedisConnection(h.config.REDIS_URL);

beforeAll(async () => {
  h = await startSocialGraphHarness();
  worker = await startSocialGraphWorker(h.config, { logger: (await import('pino')).pino({ level: 'silent' }) });
  created = new Queue('feed.follow-created', { connection: connection(), prefix: queuePrefix(h.config.QUEUE_PREFIX, 'feed.follow-created') });
  deleted = new Queue('feed.follow-deleted', { connection: connection(), prefix: queuePrefix(h.config.QUEUE_PREFIX, 'feed.follow-deleted') });
  sql = postgres(h.socialGraphDatabase.url, { max: 1 });
});

afterAll(async () => {
  await created?.obliterate({ force: true });
  await deleted?.obliterate({ force: true });
  await created?.close();
  await deleted?.close();
  await worker?.close();
  await sql?.end();
  await h?.close();
});

describe('the outbox relay', () => {
  it('puts each follow event on its queue once, with jobId = the outbox id', async () => {
    const a = await h.signUp('relay_a');
    const b = await h.signUp('relay_b');
    await h.call('mutation($id: ID!) { follow(userId: $id) { id } }', { id: b }, a);
    await h.call('mutation($id: ID!) { unfollow(userId: $id) { id } }', { id: b }, a);
    await worker.relay!.drain();
    const rows = await sql<{ id: string; event: string; sent_at: Date | null }[]>`select id, event, sent_at from outbox order by id`;
    expect(rows.map((r) => r.event)).toEqual(['follow.created', 'follow.deleted']);
    expect(rows.every((r) => r.sent_at !== null)).toBe(true);

    const job = await created.getJob(rows[0]!.id);
    expect(job?.data as EventJob<'follow.created'>).toMatchObject({ event: 'follow.created', eventId: rows[0]!.id, payload: { followerId: a, followeeId: b } });
    expect((await deleted.getJob(rows[1]!.id))?.data.payload).toEqual({ followerId: a, followeeId: b });
    expect(await created.count()).toBe(1);
    expect(await worker.relay!.drain()).toBe(0);
  });

  it('a relay that crashed after adding the job but before marking the row sends no second job', async () => {
    const id = '01930000-0000-7000-8000-00000000beef';
    const payload = { followerId: '01930000-0000-7000-8000-000000000001', followeeId: '01930000-0000-7000-8000-000000000002', createdAt: new Date().toISOString() };
    // As if a relay had added the job and died before its transaction committed.
    await created.add('follow.created', { event: 'follow.created', eventId: id, payload }, { jobId: id });
    await sql`insert into outbox (id, event, payload) values (${id}, 'follow.created', ${sql.json(payload)})`;
    const before = await created.count();
    expect(await worker.relay!.drain()).toBe(1);
    expect(await created.count()).toBe(before);
    const [row] = await sql`select sent_at from outbox where id = ${id}`;
    expect(row?.sent_at).not.toBeNull();
  });

  it('wakes on NOTIFY: a new event is relayed without calling drain', async () => {
    const a = await h.signUp('relay_c');
    const b = await h.signUp('relay_d');
    const before = await created.count();
    await h.call('mutation($id: ID!) { follow(userId: $id) { id } }', { id: b }, a);
    await expect.poll(() => created.count(), { timeout: 5000, interval: 20 }).toBe(before + 1);
  });
});
