import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@shutter/db';
import { createTestDatabase, type TestDatabase } from '@shutter/testing';
import { socialGraphDatabase } from '../src/db/index.ts';
import { bulkInsertFollows } from '../src/seed.ts';

let database: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  database = await createTestDatabase(socialGraphDatabase);
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

describe('the bulk seed of follows (bench/seed.ts)', () => {
  it('writes every edge over several statements and sets both counters as follow() keeps them', async () => {
    const star = newId();
    const fans = Array.from({ length: 12_001 }, () => newId());
    const base = Date.UTC(2026, 0, 1);
    const edges = [
      ...fans.map((followerId, i) => ({ followerId, followeeId: star, createdAt: new Date(base + i) })),
      // One fan also follows another: following_count 1 for the first, follower_count 1 for the second.
      { followerId: fans[0]!, followeeId: fans[1]!, createdAt: new Date(base - 1) },
    ];
    expect(await bulkInsertFollows(sql, edges)).toBe(12_002);
    const counts = await sql<{ user_id: string; follower_count: number; following_count: number }[]>`
      select user_id, follower_count, following_count from follow_counts where user_id = any(${[star, fans[0]!, fans[1]!]}::uuid[])`;
    const byId = new Map(counts.map((c) => [c.user_id, c]));
    expect(byId.get(star)).toMatchObject({ follower_count: 12_001, following_count: 0 });
    expect(byId.get(fans[0]!)).toMatchObject({ follower_count: 0, following_count: 2 });
    expect(byId.get(fans[1]!)).toMatchObject({ follower_count: 1, following_count: 1 });
    const [{ n }] = (await sql`select count(*)::int as n from follows where followee_id = ${star}`) as unknown as [{ n: number }];
    expect(n).toBe(12_001);
  });

  it('fails, rather than hangs, on a row the table refuses', async () => {
    const a = newId();
    const b = newId();
    const edge = { followerId: a, followeeId: b, createdAt: new Date() };
    await expect(bulkInsertFollows(sql, [edge, edge])).rejects.toThrow(/follows_pkey/);
  });
});
