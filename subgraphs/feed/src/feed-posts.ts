import { and, desc, isNotNull, isNull, sql } from 'drizzle-orm';
import { pastPosition } from '@shutter/db';
import type { FeedDb } from './db/index.ts';
import { feedPosts } from './db/schema.ts';
import type { TimelineEntry } from './timelines.ts';

/**
 * feed_posts: every published post by id, author and time (media owns the rest). Timelines are
 * rebuilt from it, celebrities' posts are read from it, and its deleted_at is how the feed knows a
 * post is gone (from post.deleted) without asking media on every read.
 */

/** Published, not deleted posts of some authors, newest first, older than a position (if given). */
export async function postsOf(db: FeedDb, authorIds: string[], before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  if (authorIds.length === 0) return [];
  const rows = await db
    .select({ postId: feedPosts.postId, createdAt: feedPosts.createdAt })
    .from(feedPosts)
    .where(
      and(
        sql`${feedPosts.authorId} = ANY(${sql.param(authorIds)}::uuid[])`,
        isNull(feedPosts.deletedAt),
        before ? pastPosition(feedPosts.createdAt, feedPosts.postId, [before.score, before.postId], 'older') : undefined,
      ),
    )
    .orderBy(desc(feedPosts.createdAt), desc(feedPosts.postId))
    .limit(limit);
  return rows.map((r) => ({ postId: r.postId, score: r.createdAt.getTime() }));
}

/** Which of these posts the feed knows to be deleted. */
export async function deletedAmong(db: FeedDb, postIds: string[]): Promise<Set<string>> {
  if (postIds.length === 0) return new Set();
  const rows = await db
    .select({ postId: feedPosts.postId })
    .from(feedPosts)
    .where(and(sql`${feedPosts.postId} = ANY(${sql.param(postIds)}::uuid[])`, isNotNull(feedPosts.deletedAt)));
  return new Set(rows.map((r) => r.postId));
}

/**
 * Records a published post; false when it is already known deleted (events can overtake each other).
 * One statement, the fan-out's first step. On a conflict, DO UPDATE (a no-op write) rather than DO
 * NOTHING: it waits for a racing insert (a post.deleted being handled, a duplicate delivery) and
 * returns the row as that left it, which a second read in the same statement's snapshot would not see.
 */
export async function recordPost(db: FeedDb, post: { postId: string; authorId: string; createdAt: Date }): Promise<boolean> {
  const [stored] = await db
    .insert(feedPosts)
    .values(post)
    .onConflictDoUpdate({ target: feedPosts.postId, set: { deletedAt: sql`${feedPosts.deletedAt}` } })
    .returning({ deletedAt: feedPosts.deletedAt });
  return !stored?.deletedAt;
}

/** Marks a post deleted; a row is made if post.created has not arrived yet, so that it cannot resurrect the post. */
export async function markDeleted(db: FeedDb, post: { postId: string; authorId: string }): Promise<void> {
  await db
    .insert(feedPosts)
    .values({ ...post, createdAt: new Date(), deletedAt: new Date() })
    .onConflictDoUpdate({ target: feedPosts.postId, set: { deletedAt: sql`coalesce(${feedPosts.deletedAt}, now())` } });
}
