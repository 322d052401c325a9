import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '@shutter/auth';
import { followerIdsEndpoint } from '@shutter/contracts';
import { newId } from '@shutter/db';
import { seedFollowers } from '../src/bulk-seed.ts';
import { socialGraphDatabase } from '../src/db/index.ts';
import { startSocialGraphHarness, type SocialGraphHarness } from './helpers.ts';

let h: SocialGraphHarness;
let sql: postgres.Sql;
const queries: string[] = [];

beforeAll(async () => {
  h = await startSocialGraphHarness({ onQuery: (q) => queries.push(q) });
  sql = postgres(h.socialGraphDatabase.url, { max: 2 });
});

afterAll(async () => {
  await sql?.end();
  await h?.close();
});

const FOLLOW = 'mutation($id: ID!) { follow(userId: $id) { id followerCount viewerIsFollowing } }';
const UNFOLLOW = 'mutation($id: ID!) { unfollow(userId: $id) { id followerCount viewerIsFollowing } }';
const follow = (viewer: string, id: string) => h.call(FOLLOW, { id }, viewer);
const unfollow = (viewer: string, id: string) => h.call(UNFOLLOW, { id }, viewer);

async function counts(id: string) {
  const result = await h.call(
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { followerCount followingCount } } }',
    { r: [{ __typename: 'User', id }] },
  );
  return result.data!._entities[0] as { followerCount: number; followingCount: number };
}

const outboxEvents = () => sql<{ event: string; payload: Record<string, string> }[]>`select event, payload from outbox order by id`;

describe('follow and unfollow', () => {
  it('follow makes the edge, moves both counters and emits follow.created once; a repeat changes nothing', async () => {
    const a = await h.signUp('f_a');
    const b = await h.signUp('f_b');
    const before = (await outboxEvents()).length;
    const first = await follow(a, b);
    expect(first.errors).toBeUndefined();
    expect(first.data!.follow).toEqual({ id: b, followerCount: 1, viewerIsFollowing: true });
    const again = await follow(a, b);
    expect(again.data!.follow).toEqual({ id: b, followerCount: 1, viewerIsFollowing: true });
    expect(await counts(a)).toEqual({ followerCount: 0, followingCount: 1 });
    const events = (await outboxEvents()).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'follow.created', payload: { followerId: a, followeeId: b } });

    const gone = await unfollow(a, b);
    expect(gone.data!.unfollow).toEqual({ id: b, followerCount: 0, viewerIsFollowing: false });
    expect((await unfollow(a, b)).data!.unfollow).toEqual({ id: b, followerCount: 0, viewerIsFollowing: false });
    expect(await counts(a)).toEqual({ followerCount: 0, followingCount: 0 });
    const after = (await outboxEvents()).slice(before);
    expect(after.map((e) => e.event)).toEqual(['follow.created', 'follow.deleted']);
  });

  it('refuses oneself, unknown users, bad ids and anonymous callers with the contract codes', async () => {
    const a = await h.signUp('f_c');
    expect((await follow(a, a)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await follow(a, '01900000-0000-7000-8000-000000000000')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await unfollow(a, '01900000-0000-7000-8000-000000000000')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await follow(a, 'not-an-id')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await h.call(FOLLOW, { id: a }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const [row] = await sql`select count(*)::int as n from follows where follower_id = ${a}`;
    expect(row?.n).toBe(0);
  });

  it('keeps counters exact under concurrent follows and unfollows of one pair', async () => {
    const a = await h.signUp('race_a');
    const b = await h.signUp('race_b');
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? follow(a, b) : unfollow(a, b))));
    const [edges] = await sql`select count(*)::int as n from follows where follower_id = ${a} and followee_id = ${b}`;
    expect(await counts(b)).toEqual({ followerCount: edges!.n, followingCount: 0 });
    expect(await counts(a)).toEqual({ followerCount: 0, followingCount: edges!.n });
    // The events tell the same story as the edge: they alternate, and the last matches it.
    const events = (await outboxEvents()).filter((e) => e.payload.followerId === a && e.payload.followeeId === b);
    for (let i = 1; i < events.length; i++) expect(events[i]!.event).not.toBe(events[i - 1]!.event);
    if (events.length > 0) expect(events.at(-1)!.event).toBe(edges!.n === 1 ? 'follow.created' : 'follow.deleted');
  });

  it('keeps counters exact when many follow one user at once, and mutual follows do not deadlock', async () => {
    const star = await h.signUp('star');
    const fans = await Promise.all(Array.from({ length: 30 }, (_, i) => h.signUp(`fan_${i}`)));
    const results = await Promise.all([...fans.map((fan) => follow(fan, star)), ...fans.map((fan) => follow(star, fan))]);
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(await counts(star)).toEqual({ followerCount: 30, followingCount: 30 });
    // Every counter in the table equals the edges it counts.
    const mismatched = await sql`
      select c.user_id from follow_counts c
      where c.follower_count <> (select count(*) from follows f where f.followee_id = c.user_id)
         or c.following_count <> (select count(*) from follows f where f.follower_id = c.user_id)`;
    expect(mismatched).toEqual([]);
  });
});

describe('lists and flags', () => {
  let target: string;
  let followers: string[];

  beforeAll(async () => {
    target = await h.signUp('popular');
    followers = [];
    // One at a time, so "newest first" has a known order.
    for (let i = 0; i < 45; i++) {
      const id = await h.signUp(`follower_${i}`);
      await follow(id, target);
      followers.push(id);
    }
  });

  const FOLLOWERS = `query($r: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $r) { ... on User { followers(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }
  }`;
  const page = async (first: number, after?: string | null) => {
    const result = await h.call(FOLLOWERS, { r: [{ __typename: 'User', id: target }], first, after });
    if (result.errors) return { errors: result.errors };
    return result.data!._entities[0].followers as { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  };

  it('pages followers newest first to the end, without repeats or gaps', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let after: string | null = null;
    for (;;) {
      const result = (await page(20, after)) as Awaited<ReturnType<typeof page>> & { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      sizes.push(result.edges.length);
      seen.push(...result.edges.map((e) => e.node.id));
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(sizes).toEqual([20, 20, 5]);
    expect(seen).toEqual([...followers].reverse());
  });

  it('lists whom a user follows, and refuses bad cursors and page sizes', async () => {
    const result = await h.call(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { following(first: 5) { edges { node { id } } pageInfo { hasNextPage } } } } }',
      { r: [{ __typename: 'User', id: followers[0] }] },
    );
    expect(result.data!._entities[0].following).toEqual({ edges: [{ node: { id: target } }], pageInfo: { hasNextPage: false } });
    for (const [first, after] of [[0, null], [101, null], [10, 'garbage'], [10, Buffer.from('[1,"x"]').toString('base64url')]] as const) {
      const bad = await page(first, after);
      expect('errors' in bad && bad.errors?.[0]?.extensions?.code, `${first} ${after}`).toBe('BAD_USER_INPUT');
    }
  });

  it('answers counts and viewer flags for a page of 20 users with 3 queries, not 60', async () => {
    const viewer = followers[1]!;
    await follow(viewer, followers[2]!);
    const page20 = followers.slice(0, 19).concat(target).map((id) => ({ __typename: 'User', id }));
    queries.length = 0;
    const result = await h.call(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id followerCount followingCount viewerIsFollowing followsViewer } } }',
      { r: page20 },
      viewer,
    );
    expect(result.errors).toBeUndefined();
    expect(queries).toHaveLength(3);
    const byId = new Map((result.data!._entities as { id: string; viewerIsFollowing: boolean; followsViewer: boolean; followerCount: number }[]).map((u) => [u.id, u]));
    expect(byId.get(followers[2]!)).toMatchObject({ viewerIsFollowing: true, followsViewer: false });
    expect(byId.get(target)).toMatchObject({ viewerIsFollowing: true, followerCount: 45 });
    expect(byId.get(followers[3]!)).toMatchObject({ viewerIsFollowing: false, followsViewer: false });
    // Without a viewer the flags are false and cost no query.
    queries.length = 0;
    const anonymous = await h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { viewerIsFollowing followsViewer } } }', { r: page20 });
    expect(new Set((anonymous.data!._entities as object[]).map((u) => JSON.stringify(u)))).toEqual(new Set(['{"viewerIsFollowing":false,"followsViewer":false}']));
    expect(queries).toHaveLength(0);
  });

  it('serves follower ids to other services through the signed internal endpoint, in pages', async () => {
    const endpoint = `${h.socialGraph.url}${followerIdsEndpoint.path}`;
    const post = (body: unknown, signed = true) => {
      const text = JSON.stringify(body);
      return fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signed ? signRequest(h.secret, { viewerId: null, requestId: 'fanout-1', body: text }) : {}) },
        body: text,
      });
    };
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const response = await post({ userId: target, limit: 16, after });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { ids: string[]; nextCursor: string | null };
      ids.push(...body.ids);
      after = body.nextCursor;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(ids)).toEqual(new Set(followers));
    expect((await post({ userId: target }, false)).status).toBe(401);
    expect((await post({ userId: 'nope' })).status).toBe(400);
    expect((await post({ userId: target, limit: 1001 })).status).toBe(400);
  });
});

describe('seedFollowers (bulk seeding)', () => {
  it('adds the edges and moves the counters as follow does, the first follower the oldest; edges already there are skipped', async () => {
    const database = socialGraphDatabase.connect(h.socialGraphDatabase.url, { max: 1 });
    try {
      const followee = newId();
      const followers = Array.from({ length: 5 }, () => newId());
      expect(await seedFollowers(database.db, followee, followers, new Date('2026-01-01T00:00:00Z'))).toBe(5);
      expect(await counts(followee)).toEqual({ followerCount: 5, followingCount: 0 });
      expect(await counts(followers[0]!)).toEqual({ followerCount: 0, followingCount: 1 });
      const order = await sql<{ follower_id: string }[]>`select follower_id from follows where followee_id = ${followee} order by created_at`;
      expect(order.map((r) => r.follower_id)).toEqual(followers);

      const more = newId();
      expect(await seedFollowers(database.db, followee, [followers[1]!, more], new Date())).toBe(1);
      expect(await counts(followee)).toEqual({ followerCount: 6, followingCount: 0 });
      expect(await counts(followers[1]!)).toEqual({ followerCount: 0, followingCount: 1 });
    } finally {
      await database.close();
    }
  });
});
