import { eq, sql } from 'drizzle-orm';
import { isRedisUnavailable } from '@shutter/service';
import type { FeedDb } from './db/index.ts';
import { celebrities } from './db/schema.ts';
import type { FeedDeps } from './deps.ts';

/**
 * Celebrities: authors who were above the follower threshold at one of their posts. Those posts
 * were not fanned out, so their followers pull them at read. The table is the one record; what
 * Redis holds of it (each reader's FollowedCelebritiesStore set) is derived and made again when lost.
 * An author stays here after dropping below the threshold, for the posts made while above it.
 */

/** Records (or updates) a celebrity; true when the author was not one before: a promotion. */
export async function recordCelebrity(db: FeedDb, userId: string, followerCount: number): Promise<boolean> {
  const [row] = await db
    .insert(celebrities)
    .values({ userId, followerCount })
    .onConflictDoUpdate({ target: celebrities.userId, set: { followerCount, updatedAt: new Date() } })
    .returning({ inserted: sql<boolean>`(xmax = 0)` });
  return row?.inserted === true;
}

/** A former celebrity's count, kept current (nothing happens for an author who never was one). */
export async function updateCelebrityCount(db: FeedDb, userId: string, followerCount: number): Promise<void> {
  await db.update(celebrities).set({ followerCount, updatedAt: new Date() }).where(eq(celebrities.userId, userId));
}

export async function isCelebrity(db: FeedDb, userId: string): Promise<boolean> {
  const rows = await db.select({ userId: celebrities.userId }).from(celebrities).where(eq(celebrities.userId, userId));
  return rows.length > 0;
}

/** Which of these users are celebrities. */
export async function celebritiesAmong(db: FeedDb, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({ userId: celebrities.userId })
    .from(celebrities)
    .where(sql`${celebrities.userId} = ANY(${sql.param(userIds)}::uuid[])`);
  return rows.map((r) => r.userId);
}

/**
 * The celebrities a reader follows (or is): their posts are merged into the reader's feed, and their
 * channels are the reader's live channels. From the reader's Redis set; when it is missing, made
 * from the reader's followees (social-graph) and the table.
 */
export async function followedCelebrities(deps: FeedDeps, viewerId: string, requestId?: string): Promise<string[]> {
  const compute = async () => celebritiesAmong(deps.db, [viewerId, ...(await deps.socialGraph.allFolloweeIds(viewerId, { requestId }))]);
  let stored: string[] | null;
  try {
    stored = await deps.followedCelebrities.get(viewerId);
  } catch (e) {
    // Redis down: the set is derived data, made from the same sources it is always made from.
    if (isRedisUnavailable(e, deps.redis)) return compute();
    throw e;
  }
  if (stored) return stored;
  // An unfollow while it was computed drops the set: compute it again from the follows as they are now.
  for (let attempt = 0; attempt < 3; attempt++) {
    const built = await deps.followedCelebrities.build(viewerId, compute);
    if (built) return built;
  }
  return compute();
}
