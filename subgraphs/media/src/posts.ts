import DataLoader from 'dataloader';
import { and, eq, sql } from 'drizzle-orm';
import { isId, newId } from '@shutter/db';
import { emitEvent } from '@shutter/events';
import { badUserInput, decodeCursor, encodeCursor, forbidden, notFound, toConnection, type Connection } from '@shutter/service';
import type { MediaDb } from './db/client.ts';
import {
  avatars,
  comments,
  images,
  likes,
  postCounts,
  postHashtags,
  postImages,
  posts,
  uploads,
  type CommentRow,
  type ImageRow,
  type PostRow,
  type UploadRow,
} from './db/schema.ts';
import { normaliseTag, parseHashtags } from './hashtags.ts';

type Tx = Parameters<Parameters<MediaDb['transaction']>[0]>[0];

export const LIMITS = { caption: 2200, comment: 1000, altText: 1000, imagesPerPost: 10 } as const;
const chars = (text: string) => [...text].length;

/** An image as the API shows it: the processed image, with the alt text of its place in a post. */
export type ImageView = ImageRow & { altText: string | null };

/** A post is seen by everyone once published; until then only by its author. */
const visibleTo = (post: PostRow | undefined | null, viewerId: string | null): post is PostRow =>
  !!post && (post.status === 'published' || post.authorId === viewerId);

/**
 * Checks and claims uploads for a post or an avatar: the viewer's own, with bytes received, not
 * refused, and not used before. Rows are locked so two posts cannot claim one upload.
 */
async function claimUploads(tx: Tx, ownerId: string, ids: string[]): Promise<UploadRow[]> {
  const rows = ids.every(isId)
    ? await tx.select().from(uploads).where(sql`${uploads.id} = ANY(${sql.param(ids)}::uuid[])`).for('update')
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const upload = byId.get(id);
    if (!upload || upload.ownerId !== ownerId) throw notFound(`No upload ${id} of yours.`);
    if (upload.usedAt) throw badUserInput(`Upload ${id} is already used.`, 'uploadIds');
    if (upload.status === 'pending' || upload.status === 'receiving') throw badUserInput(`Upload ${id} has no bytes yet: PUT them to its uploadUrl first.`, 'uploadIds');
    if (upload.status === 'failed') throw badUserInput(`Upload ${id} was refused: ${upload.error ?? 'not a usable image'}.`, 'uploadIds');
  }
  await tx.update(uploads).set({ usedAt: sql`now()` }).where(sql`${uploads.id} = ANY(${sql.param(ids)}::uuid[])`);
  return ids.map((id) => byId.get(id)!);
}

/**
 * Publishes the posts among `postIds` whose images are all processed: they become visible, get
 * their hashtag rows and count, and post.created is emitted, in the caller's transaction. Posts are
 * locked first, so two workers finishing two images of one post cannot both miss the other's.
 */
export async function publishPosts(tx: Tx, postIds: string[]): Promise<string[]> {
  if (postIds.length === 0) return [];
  await tx.select({ id: posts.id }).from(posts).where(sql`${posts.id} = ANY(${sql.param(postIds)}::uuid[])`).for('update');
  const published = await tx
    .update(posts)
    .set({ status: 'published', createdAt: sql`now()` })
    .where(
      sql`${posts.id} = ANY(${sql.param(postIds)}::uuid[]) and ${posts.status} = 'processing' and not exists (
        select 1 from ${postImages} left join ${images} on ${images.id} = ${postImages.imageId}
        where ${postImages.postId} = ${posts.id} and ${images.id} is null)`,
    )
    .returning();
  for (const post of published) {
    if (post.hashtags.length > 0) {
      await tx.insert(postHashtags).values(post.hashtags.map((tag) => ({ tag, postId: post.id, createdAt: post.createdAt })));
    }
    await bumpPostCount(tx, post.authorId, 1);
    await emitEvent(tx, 'post.created', { postId: post.id, authorId: post.authorId, createdAt: post.createdAt.toISOString() });
  }
  return published.map((p) => p.id);
}

async function bumpPostCount(tx: Tx, userId: string, delta: 1 | -1) {
  await tx
    .insert(postCounts)
    .values({ userId, postCount: delta })
    .onConflictDoUpdate({ target: postCounts.userId, set: { postCount: sql`${postCounts.postCount} + ${delta}` } });
}

export interface CreatePostInput {
  uploadIds: string[];
  caption?: string | null;
  altTexts?: (string | null)[] | null;
}

/**
 * A post of 1..10 of the viewer's uploads. Uploads still being processed are accepted: the post is
 * then seen only by its author until the worker has made the last image, and published then.
 */
export async function createPost(db: MediaDb, authorId: string, input: CreatePostInput): Promise<PostRow> {
  const ids = input.uploadIds;
  if (ids.length < 1 || ids.length > LIMITS.imagesPerPost) throw badUserInput(`A post has 1 to ${LIMITS.imagesPerPost} images.`, 'uploadIds');
  if (new Set(ids).size !== ids.length) throw badUserInput('An upload appears twice.', 'uploadIds');
  const caption = input.caption?.trim() || null;
  if (caption && chars(caption) > LIMITS.caption) throw badUserInput(`A caption is at most ${LIMITS.caption} characters.`, 'caption');
  const altTexts = input.altTexts ?? [];
  if (altTexts.length > ids.length) throw badUserInput('altTexts has more entries than uploadIds.', 'altTexts');
  for (const alt of altTexts) {
    if (alt && chars(alt) > LIMITS.altText) throw badUserInput(`An alt text is at most ${LIMITS.altText} characters.`, 'altTexts');
  }
  const postId = newId();
  return db.transaction(async (tx) => {
    const claimed = await claimUploads(tx, authorId, ids);
    await tx.insert(posts).values({
      id: postId,
      authorId,
      caption,
      hashtags: parseHashtags(caption),
      status: 'processing',
      createdAt: new Date(),
    });
    await tx.insert(postImages).values(ids.map((imageId, position) => ({ postId, position, imageId, altText: altTexts[position]?.trim() || null })));
    if (claimed.every((u) => u.status === 'ready')) await publishPosts(tx, [postId]);
    const [post] = await tx.select().from(posts).where(eq(posts.id, postId));
    return post!;
  });
}

/** Deletes the viewer's post (FORBIDDEN for anyone else's). False when there is no such post. */
export async function deletePost(db: MediaDb, viewerId: string, postId: string): Promise<{ deleted: boolean; fileKeys: string[] }> {
  if (!isId(postId)) return { deleted: false, fileKeys: [] };
  return db.transaction(async (tx) => {
    const [post] = await tx.select().from(posts).where(eq(posts.id, postId)).for('update');
    if (!post) return { deleted: false, fileKeys: [] };
    if (post.authorId !== viewerId) throw forbidden('Only its author can delete a post.');
    const imageRows = await tx
      .select({ id: images.id, variants: images.variants })
      .from(postImages)
      .innerJoin(images, eq(images.id, postImages.imageId))
      .where(eq(postImages.postId, postId));
    await tx.delete(posts).where(eq(posts.id, postId));
    await tx.delete(images).where(sql`${images.id} = ANY(${sql.param(imageRows.map((r) => r.id))}::uuid[])`);
    if (post.status === 'published') {
      await bumpPostCount(tx, post.authorId, -1);
      await emitEvent(tx, 'post.deleted', { postId, authorId: post.authorId });
    }
    // The caller removes the files once this has committed.
    return { deleted: true, fileKeys: imageRows.flatMap((r) => r.variants.map((v) => v.key)) };
  });
}

async function visiblePost(tx: Tx | MediaDb, postId: string, viewerId: string): Promise<PostRow> {
  const [post] = isId(postId) ? await tx.select().from(posts).where(eq(posts.id, postId)) : [];
  if (!visibleTo(post, viewerId)) throw notFound('No such post.');
  return post;
}

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

/** Sets (or with null, clears) the viewer's avatar from one of their uploads. */
export async function setAvatar(db: MediaDb, viewerId: string, uploadId: string | null): Promise<void> {
  if (uploadId === null) {
    await db.delete(avatars).where(eq(avatars.userId, viewerId));
    return;
  }
  await db.transaction(async (tx) => {
    await claimUploads(tx, viewerId, [uploadId]);
    await tx.insert(avatars).values({ userId: viewerId, imageId: uploadId }).onConflictDoUpdate({ target: avatars.userId, set: { imageId: uploadId } });
  });
}

type Position = [createdAtMs: number, id: string];
const isPosition = (v: unknown[]): v is Position => v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && isId(v[1]);
const cursorOf = (row: { createdAt: Date; id: string }) => encodeCursor([row.createdAt.getTime(), row.id]);
const at = (p: Position) => sql`${new Date(p[0]).toISOString()}::timestamptz`;

/** A user's published posts, newest first. */
export async function listUserPosts(db: MediaDb, userId: string, first: number, after?: string | null): Promise<Connection<PostRow>> {
  const position = decodeCursor(after, isPosition);
  if (!isId(userId)) return toConnection([], first, (r: PostRow) => r, cursorOf);
  const rows = await db
    .select()
    .from(posts)
    .where(
      and(
        eq(posts.authorId, userId),
        eq(posts.status, 'published'),
        position ? sql`(${posts.createdAt}, ${posts.id}) < (${at(position)}, ${position[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(sql`${posts.createdAt} desc`, sql`${posts.id} desc`)
    .limit(first + 1);
  return toConnection(rows, first, (r) => r, cursorOf);
}

/** Published posts with a hashtag, newest first. */
export async function listHashtagPosts(db: MediaDb, rawTag: string, first: number, after?: string | null): Promise<Connection<PostRow>> {
  const tag = normaliseTag(rawTag);
  if (!tag || chars(tag) > 100) throw badUserInput('A hashtag is 1 to 100 characters.', 'tag');
  const position = decodeCursor(after, isPosition);
  const rows = await db
    .select({ post: posts })
    .from(postHashtags)
    .innerJoin(posts, eq(posts.id, postHashtags.postId))
    .where(
      and(
        eq(postHashtags.tag, tag),
        position ? sql`(${postHashtags.createdAt}, ${postHashtags.postId}) < (${at(position)}, ${position[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(sql`${postHashtags.createdAt} desc`, sql`${postHashtags.postId} desc`)
    .limit(first + 1);
  return toConnection(rows.map((r) => r.post), first, (r) => r, cursorOf);
}

/** A post's comments, oldest first. */
export async function listComments(db: MediaDb, postId: string, first: number, after?: string | null): Promise<Connection<CommentRow>> {
  const position = decodeCursor(after, isPosition);
  const rows = await db
    .select()
    .from(comments)
    .where(and(eq(comments.postId, postId), position ? sql`(${comments.createdAt}, ${comments.id}) > (${at(position)}, ${position[1]}::uuid)` : undefined))
    .orderBy(comments.createdAt, comments.id)
    .limit(first + 1);
  return toConnection(rows, first, (r) => r, cursorOf);
}

/** The batch loaders of one request: each turns a page of keys into one query. */
export function createMediaLoaders(db: MediaDb, viewerId: string | null) {
  const anyOf = (ids: readonly string[]) => sql.param(ids.filter(isId));
  return {
    /** Posts the viewer may see (others' unpublished posts are null). */
    postById: new DataLoader<string, PostRow | null>(async (ids) => {
      const rows = await db.select().from(posts).where(sql`${posts.id} = ANY(${anyOf(ids)}::uuid[])`);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => {
        const post = byId.get(id);
        return visibleTo(post, viewerId) ? post : null;
      });
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

export interface UserRef {
  id: string;
}
