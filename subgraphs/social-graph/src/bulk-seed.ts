import { sql } from 'drizzle-orm';
import type { SocialGraphDb } from './db/index.ts';
import { followCounts, follows } from './db/schema.ts';

/**
 * Seeding's bulk equivalent of `follow`: many followers of one account in a few statements, with
 * the counters moved as `follow` moves them. For benchmarks and seed data on a fresh installation:
 * no follow.created is emitted, so followers' timelines are not backfilled with the followee's
 * earlier posts (seed follows before posts). Edges already present are skipped, and not counted.
 * Follower i's follow is `startAt + i` ms, so the first follower is the oldest follow.
 */
export async function seedFollowers(db: SocialGraphDb, followeeId: string, followerIds: string[], startAt: Date): Promise<number> {
  let inserted = 0;
  // In slices, under Postgres's 65,535 bind parameters per statement (3 per edge here).
  const SLICE = 10_000;
  for (let from = 0; from < followerIds.length; from += SLICE) {
    const slice = followerIds.slice(from, from + SLICE);
    await db.transaction(async (tx) => {
      const rows = await tx
        .insert(follows)
        .values(slice.map((followerId, i) => ({ followerId, followeeId, createdAt: new Date(startAt.getTime() + from + i) })))
        .onConflictDoNothing()
        .returning({ followerId: follows.followerId });
      if (rows.length === 0) return;
      inserted += rows.length;
      const counts = [{ userId: followeeId, followerCount: rows.length, followingCount: 0 }, ...rows.map((r) => ({ userId: r.followerId, followerCount: 0, followingCount: 1 }))];
      await tx
        .insert(followCounts)
        .values(counts)
        .onConflictDoUpdate({
          target: followCounts.userId,
          set: {
            followerCount: sql`${followCounts.followerCount} + excluded.follower_count`,
            followingCount: sql`${followCounts.followingCount} + excluded.following_count`,
          },
        });
    });
  }
  return inserted;
}
