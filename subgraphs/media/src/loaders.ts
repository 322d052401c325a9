import DataLoader from 'dataloader';
import { and, eq, sql } from 'drizzle-orm';
import { isId } from '@shutter/db';
import type { MediaDb } from './db/index.ts';
import { avatars, comments, images, likes, postCounts, postImages, posts, type CommentRow, type ImageRow, type PostRow } from './db/schema.ts';
import { visibleTo } from './visibility.ts';

/** An image as the API shows it: the processed image, with the alt text of its place in a post. */
export type ImageView = ImageRow & { altText: string | null };

/** A user as media knows one: by id (users owns the rest). */
export interface UserRef {
  id: string;
}

/** The batch loaders of one request: each turns a page of keys into one query. */
export function createMediaLoaders(db: MediaDb, viewerId: string | null) {
  const anyOf = (ids: readonly string[]) => sql.param(ids.filter(isId));
  return {
    /** Post rows as stored, deleted and unpublished ones included: callers apply visibleTo or referenceableBy. */
    postById: new DataLoader<string, PostRow | null>(async (ids) => {
      const rows = await db.select().from(posts).where(sql`${posts.id} = ANY(${anyOf(ids)}::uuid[])`);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /** Comments on posts the viewer may see; a deleted comment (or one on a deleted post) is null. */
    commentById: new DataLoader<string, CommentRow | null>(async (ids) => {
      const rows = await db
        .select({ comment: comments, post: posts })
        .from(comments)
        .innerJoin(posts, eq(posts.id, comments.postId))
        .where(sql`${comments.id} = ANY(${anyOf(ids)}::uuid[])`);
      const byId = new Map(rows.filter((r) => visibleTo(r.post, viewerId)).map((r) => [r.comment.id, r.comment]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    imagesByPostId: new DataLoader<string, ImageView[]>(async (ids) => {
      const rows = await db
        .select({ postId: postImages.postId, altText: postImages.altText, image: images })
        .from(postImages)
        .innerJoin(images, eq(images.id, postImages.imageId))
        .where(sql`${postImages.postId} = ANY(${anyOf(ids)}::uuid[])`)
        .orderBy(postImages.postId, postImages.position);
      const byPost = new Map<string, ImageView[]>();
      for (const row of rows) byPost.set(row.postId, [...(byPost.get(row.postId) ?? []), { ...row.image, altText: row.altText }]);
      return ids.map((id) => byPost.get(id) ?? []);
    }),
    viewerHasLiked: new DataLoader<string, boolean>(async (ids) => {
      if (!viewerId) return ids.map(() => false);
      const rows = await db
        .select({ postId: likes.postId })
        .from(likes)
        .where(and(eq(likes.userId, viewerId), sql`${likes.postId} = ANY(${anyOf(ids)}::uuid[])`));
      const liked = new Set(rows.map((r) => r.postId));
      return ids.map((id) => liked.has(id));
    }),
    postCount: new DataLoader<string, number>(async (ids) => {
      const rows = await db.select().from(postCounts).where(sql`${postCounts.userId} = ANY(${anyOf(ids)}::uuid[])`);
      const byId = new Map(rows.map((r) => [r.userId, r.postCount]));
      return ids.map((id) => byId.get(id) ?? 0);
    }),
    avatar: new DataLoader<string, ImageView | null>(async (ids) => {
      const rows = await db
        .select({ userId: avatars.userId, image: images })
        .from(avatars)
        .innerJoin(images, eq(images.id, avatars.imageId))
        .where(sql`${avatars.userId} = ANY(${anyOf(ids)}::uuid[])`);
      const byUser = new Map(rows.map((r) => [r.userId, { ...r.image, altText: null }]));
      return ids.map((id) => byUser.get(id) ?? null);
    }),
  };
}

export type MediaLoaders = ReturnType<typeof createMediaLoaders>;

