import DataLoader from 'dataloader';
import { and, eq, sql } from 'drizzle-orm';
import { isId } from '@shutter/db';
import { emitEvent } from '@shutter/events';
import type { IdsPage, UsersClient } from '@shutter/contracts';
import { badUserInput, notFound, timeIdCursor, toConnection, type Connection } from '@shutter/service';
import type { SocialGraphDb } from './db/index.ts';
import { followCounts, follows } from './db/schema.ts';

type Tx = Parameters<Parameters<SocialGraphDb['transaction']>[0]>[0];

export interface UserRef {
  id: string;
}

/** Adds +delta to the followee's followers and the follower's following, in id order (no deadlocks). */
async function bumpCounts(tx: Tx, followerId: string, followeeId: string, delta: 1 | -1) {
  const rows = [
    { userId: followerId, followerCount: 0, followingCount: delta },
    { userId: followeeId, followerCount: delta, followingCount: 0 },
  ].sort((a, b) => (a.userId < b.userId ? -1 : 1));
  await tx
    .insert(followCounts)
    .values(rows)
    .onConflictDoUpdate({
      target: followCounts.userId,
      set: {
        followerCount: sql`${followCounts.followerCount} + excluded.follower_count`,
        followingCount: sql`${followCounts.followingCount} + excluded.following_count`,
      },
    });
}

function checkTarget(viewerId: string, userId: string) {
  if (!isId(userId)) throw notFound('No such user.');
  if (userId === viewerId) throw badUserInput('You cannot follow yourself.', 'userId');
}

/**
 * Makes `followerId` follow `followeeId`. Idempotent: only the transaction that inserts the edge
 * moves the counters and emits follow.created, so repeats and races change nothing twice.
 */
export async function follow(db: SocialGraphDb, users: UsersClient, followerId: string, followeeId: string): Promise<boolean> {
  checkTarget(followerId, followeeId);
  const [existing] = await db
    .select({ followeeId: follows.followeeId })
    .from(follows)
    .where(and(eq(follows.followerId, followerId), eq(follows.followeeId, followeeId)));
  if (existing) return false;
  if (!(await users.existing([followeeId])).has(followeeId)) throw notFound('No such user.');
  return db.transaction(async (tx) => {
    const createdAt = new Date();
    const inserted = await tx
      .insert(follows)
      .values({ followerId, followeeId, createdAt })
      .onConflictDoNothing()
      .returning({ followeeId: follows.followeeId });
    if (inserted.length === 0) return false;
    await bumpCounts(tx, followerId, followeeId, 1);
    await emitEvent(tx, 'follow.created', { followerId, followeeId, createdAt: createdAt.toISOString() });
    return true;
  });
}

/** Ends a follow. Idempotent; an id that names no user is NOT_FOUND. */
export async function unfollow(db: SocialGraphDb, users: UsersClient, followerId: string, followeeId: string): Promise<boolean> {
  checkTarget(followerId, followeeId);
  const changed = await db.transaction(async (tx) => {
    const deleted = await tx
      .delete(follows)
      .where(and(eq(follows.followerId, followerId), eq(follows.followeeId, followeeId)))
      .returning({ followeeId: follows.followeeId });
    if (deleted.length === 0) return false;
    await bumpCounts(tx, followerId, followeeId, -1);
    await emitEvent(tx, 'follow.deleted', { followerId, followeeId });
    return true;
  });
  // Nothing to undo: still, the contract's answer is a User, so an unknown id is an error.
  if (!changed && !(await users.existing([followeeId])).has(followeeId)) throw notFound('No such user.');
  return changed;
}

export type Direction = 'followers' | 'following';

/**
 * Up to `limit` + 1 of a user's follows in one direction, newest first, by keyset on (created_at,
 * other id): the last page of a million costs what the first does. The extra row says whether
 * another page follows.
 */
async function followRows(db: SocialGraphDb, direction: Direction, userId: string, limit: number, after: string | null | undefined) {
  const position = timeIdCursor.decode(after);
  if (!isId(userId)) return [];
  const [self, other] = direction === 'followers' ? [follows.followeeId, follows.followerId] : [follows.followerId, follows.followeeId];
  return db
    .select({ id: other, createdAt: follows.createdAt })
    .from(follows)
    .where(
      position
        ? and(eq(self, userId), sql`(${follows.createdAt}, ${other}) < (${new Date(position[0]).toISOString()}::timestamptz, ${position[1]}::uuid)`)
        : eq(self, userId),
    )
    .orderBy(sql`${follows.createdAt} desc`, sql`${other} desc`)
    .limit(limit + 1);
}

const cursorOf = (row: { id: string; createdAt: Date }) => timeIdCursor.encode([row.createdAt.getTime(), row.id]);

/** One page of a user's followers (or followees) as a GraphQL connection. */
export async function listFollows(
  db: SocialGraphDb,
  direction: Direction,
  userId: string,
  first: number,
  after: string | null | undefined,
): Promise<Connection<UserRef>> {
  return toConnection(await followRows(db, direction, userId, first, after), first, (row) => ({ id: row.id }), cursorOf);
}

/**
 * A page of follower (or followee) ids for the feed (internal endpoints): same keyset, up to 1,000,
 * with the user's counter in that direction so the fan-out can tell a celebrity from the first page.
 * Only the last row's cursor is made: a fan-out of 100,000 followers asks for 100 of these.
 */
export async function followIdsPage(
  db: SocialGraphDb,
  direction: Direction,
  userId: string,
  limit: number,
  after: string | null | undefined,
): Promise<IdsPage> {
  const [rows, counts] = await Promise.all([
    followRows(db, direction, userId, limit, after),
    isId(userId) ? db.select().from(followCounts).where(eq(followCounts.userId, userId)) : [],
  ]);
  const page = rows.slice(0, limit);
  const total = direction === 'followers' ? (counts[0]?.followerCount ?? 0) : (counts[0]?.followingCount ?? 0);
  return { ids: page.map((row) => row.id), nextCursor: rows.length > limit ? cursorOf(page.at(-1)!) : null, total };
}

/** Which of `followeeIds` the user follows now (internal endpoint): one primary-key probe per batch. */
export async function followedAmong(db: SocialGraphDb, followerId: string, followeeIds: string[]): Promise<string[]> {
  const valid = followeeIds.filter(isId);
  if (valid.length === 0) return [];
  const rows = await db
    .select({ id: follows.followeeId })
    .from(follows)
    .where(and(eq(follows.followerId, followerId), sql`${follows.followeeId} = ANY(${sql.param(valid)}::uuid[])`));
  return rows.map((r) => r.id);
}

export interface Counts {
  followerCount: number;
  followingCount: number;
}

/** Both counters of a batch of users in one query. */
export function createCountsLoader(db: SocialGraphDb) {
  return new DataLoader<string, Counts>(async (ids) => {
    const valid = ids.filter(isId);
    const rows = valid.length
      ? await db.select().from(followCounts).where(sql`${followCounts.userId} = ANY(${sql.param(valid)}::uuid[])`)
      : [];
    const byId = new Map(rows.map((r) => [r.userId, r]));
    return ids.map((id) => byId.get(id) ?? { followerCount: 0, followingCount: 0 });
  });
}

/**
 * "Does the viewer follow X" (or "does X follow the viewer") for a batch of X in one query;
 * false for all without a viewer.
 */
export function createViewerFlagLoader(db: SocialGraphDb, viewerId: string | null, flag: 'viewerIsFollowing' | 'followsViewer') {
  return new DataLoader<string, boolean>(async (ids) => {
    const valid = ids.filter(isId);
    if (!viewerId || valid.length === 0) return ids.map(() => false);
    const [viewerColumn, otherColumn] =
      flag === 'viewerIsFollowing' ? [follows.followerId, follows.followeeId] : [follows.followeeId, follows.followerId];
    const rows = await db
      .select({ id: otherColumn })
      .from(follows)
      .where(and(eq(viewerColumn, viewerId), sql`${otherColumn} = ANY(${sql.param(valid)}::uuid[])`));
    const found = new Set(rows.map((r) => r.id));
    return ids.map((id) => found.has(id));
  });
}
