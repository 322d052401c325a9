import { and, eq, sql } from 'drizzle-orm';
import { emitEvent } from '@shutter/events';
import { notFound } from '@shutter/service';
import type { MediaDb } from './db/index.ts';
import { likes, posts } from './db/schema.ts';
import { visiblePost } from './visibility.ts';

/** Idempotent: only the insert that makes the like moves the counter and emits post.liked. */
export async function likePost(db: MediaDb, viewerId: string, postId: string): Promise<void> {
  await visiblePost(db, postId, viewerId);
  await db.transaction(async (tx) => {
    const [like] = await tx.insert(likes).values({ postId, userId: viewerId }).onConflictDoNothing().returning();
    if (!like) return;
    const [post] = await tx
      .update(posts)
      .set({ likeCount: sql`${posts.likeCount} + 1` })
      .where(eq(posts.id, postId))
      .returning({ authorId: posts.authorId });
    if (!post) throw notFound('No such post.');
    await emitEvent(tx, 'post.liked', { postId, postAuthorId: post.authorId, likerId: viewerId, likedAt: like.createdAt.toISOString() });
  });
}

export async function unlikePost(db: MediaDb, viewerId: string, postId: string): Promise<void> {
  await visiblePost(db, postId, viewerId);
  await db.transaction(async (tx) => {
    const removed = await tx.delete(likes).where(and(eq(likes.postId, postId), eq(likes.userId, viewerId))).returning();
    if (removed.length > 0) await tx.update(posts).set({ likeCount: sql`${posts.likeCount} - 1` }).where(eq(posts.id, postId));
  });
}

