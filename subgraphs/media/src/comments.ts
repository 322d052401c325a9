import { and, eq, sql } from 'drizzle-orm';
import { isId, newId, pastPosition } from '@shutter/db';
import { emitEvent } from '@shutter/events';
import { badUserInput, forbidden, notFound, timeIdCursor, toConnection, type Connection } from '@shutter/service';
import type { MediaDb } from './db/index.ts';
import { comments, posts, type CommentRow } from './db/schema.ts';
import { chars, LIMITS } from './limits.ts';
import { visiblePost } from './visibility.ts';

export async function addComment(db: MediaDb, viewerId: string, postId: string, rawText: string): Promise<CommentRow> {
  const text = rawText.trim();
  if (chars(text) < 1 || chars(text) > LIMITS.comment) throw badUserInput(`A comment is 1 to ${LIMITS.comment} characters.`, 'text');
  await visiblePost(db, postId, viewerId);
  return db.transaction(async (tx) => {
    const [comment] = await tx.insert(comments).values({ id: newId(), postId, authorId: viewerId, text, createdAt: new Date() }).returning();
    const [post] = await tx
      .update(posts)
      .set({ commentCount: sql`${posts.commentCount} + 1` })
      .where(eq(posts.id, postId))
      .returning({ authorId: posts.authorId });
    if (!comment || !post) throw notFound('No such post.');
    await emitEvent(tx, 'comment.added', {
      commentId: comment.id,
      postId,
      postAuthorId: post.authorId,
      authorId: viewerId,
      createdAt: comment.createdAt.toISOString(),
    });
    return comment;
  });
}

/** By the comment's author or the post's author (FORBIDDEN otherwise). False when there is none. */
export async function deleteComment(db: MediaDb, viewerId: string, commentId: string): Promise<boolean> {
  if (!isId(commentId)) return false;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ comment: comments, postAuthorId: posts.authorId })
      .from(comments)
      .innerJoin(posts, eq(posts.id, comments.postId))
      .where(eq(comments.id, commentId))
      .for('update', { of: comments });
    if (!row) return false;
    if (row.comment.authorId !== viewerId && row.postAuthorId !== viewerId) {
      throw forbidden("Only the comment's author or the post's author can delete it.");
    }
    await tx.delete(comments).where(eq(comments.id, commentId));
    await tx.update(posts).set({ commentCount: sql`${posts.commentCount} - 1` }).where(eq(posts.id, row.comment.postId));
    return true;
  });
}

/** A post's comments, oldest first. */
export async function listComments(db: MediaDb, postId: string, first: number, after?: string | null): Promise<Connection<CommentRow>> {
  const position = timeIdCursor.decode(after);
  const rows = await db
    .select()
    .from(comments)
    .where(and(eq(comments.postId, postId), position ? pastPosition(comments.createdAt, comments.id, position, 'newer') : undefined))
    .orderBy(comments.createdAt, comments.id)
    .limit(first + 1);
  return toConnection(rows, first, (r) => r, (r) => timeIdCursor.encode([r.createdAt.getTime(), r.id]));
}

