import { and, eq, isNull, sql } from 'drizzle-orm';
import { isId, newId, pastPosition } from '@shutter/db';
import { emitEvent } from '@shutter/events';
import { badUserInput, emptyConnection, forbidden, timeIdCursor, toConnection, type Connection } from '@shutter/service';
import type { MediaDb, MediaTx } from './db/index.ts';
import { images, postCounts, postHashtags, postImages, posts, type PostRow } from './db/schema.ts';
import { normaliseTag, parseHashtags } from './hashtags.ts';
import { chars, LIMITS } from './limits.ts';
import { claimUploads } from './uploads.ts';

/**
 * Publishes the posts among `postIds` whose images are all processed: they become visible, get
 * their hashtag rows and count, and post.created is emitted, in the caller's transaction. Posts are
 * locked first, so two workers finishing two images of one post cannot both miss the other's.
 */
export async function publishPosts(tx: MediaTx, postIds: string[]): Promise<string[]> {
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

async function bumpPostCount(tx: MediaTx, userId: string, delta: 1 | -1) {
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

/**
 * Deletes the viewer's post (FORBIDDEN for anyone else's); false when there is no such post. The
 * post disappears at once from everything media serves and its files are removed after the commit
 * (the caller does that); the row stays as a tombstone until `purgeDeletedPosts`, so that a
 * reference another service still holds resolves (see referenceableBy). post.deleted tells them.
 */
export async function deletePost(db: MediaDb, viewerId: string, postId: string): Promise<{ deleted: boolean; fileKeys: string[] }> {
  if (!isId(postId)) return { deleted: false, fileKeys: [] };
  return db.transaction(async (tx) => {
    const [post] = await tx.select().from(posts).where(eq(posts.id, postId)).for('update');
    if (!post || post.deletedAt) return { deleted: false, fileKeys: [] };
    if (post.authorId !== viewerId) throw forbidden('Only its author can delete a post.');
    const imageRows = await tx
      .select({ variants: images.variants })
      .from(postImages)
      .innerJoin(images, eq(images.id, postImages.imageId))
      .where(eq(postImages.postId, postId));
    await tx.update(posts).set({ deletedAt: sql`now()` }).where(eq(posts.id, postId));
    await tx.delete(postHashtags).where(eq(postHashtags.postId, postId));
    if (post.status === 'published') {
      await bumpPostCount(tx, post.authorId, -1);
      await emitEvent(tx, 'post.deleted', { postId, authorId: post.authorId });
    }
    return { deleted: true, fileKeys: imageRows.flatMap((r) => r.variants.map((v) => v.key)) };
  });
}

/**
 * Removes the tombstones of posts deleted more than `graceSeconds` ago, with their images, likes
 * and comments: a batch at a time, so a backlog never holds a long transaction. Run by the worker
 * on a timer; running it twice, or in two workers at once, removes each row once.
 */
export async function purgeDeletedPosts(db: MediaDb, graceSeconds: number, batchSize = 500): Promise<number> {
  let purged = 0;
  for (;;) {
    const removed = await db.execute<{ id: string }>(sql`
      with gone as (
        delete from ${posts} where ${posts.id} in (
          select ${posts.id} from ${posts}
          where ${posts.deletedAt} < now() - make_interval(secs => ${graceSeconds})
          limit ${batchSize} for update skip locked)
        returning ${posts.id}),
      gone_images as (
        delete from ${images} where ${images.id} in (select ${postImages.imageId} from ${postImages} where ${postImages.postId} in (select id from gone)))
      select id from gone`);
    purged += removed.length;
    if (removed.length < batchSize) return purged;
  }
}

const cursorOf = (row: { createdAt: Date; id: string }) => timeIdCursor.encode([row.createdAt.getTime(), row.id]);

/** A user's published posts, newest first. */
export async function listUserPosts(db: MediaDb, userId: string, first: number, after?: string | null): Promise<Connection<PostRow>> {
  const position = timeIdCursor.decode(after);
  if (!isId(userId)) return emptyConnection();
  const rows = await db
    .select()
    .from(posts)
    .where(
      and(
        eq(posts.authorId, userId),
        eq(posts.status, 'published'),
        isNull(posts.deletedAt),
        position ? pastPosition(posts.createdAt, posts.id, position, 'older') : undefined,
      ),
    )
    .orderBy(sql`${posts.createdAt} desc`, sql`${posts.id} desc`)
    .limit(first + 1);
  return toConnection(rows, first, (r) => r, cursorOf);
}

/** Published posts with a hashtag, newest first (a deleted post has lost its hashtag rows). */
export async function listHashtagPosts(db: MediaDb, rawTag: string, first: number, after?: string | null): Promise<Connection<PostRow>> {
  const tag = normaliseTag(rawTag);
  if (!tag || chars(tag) > LIMITS.hashtag) throw badUserInput(`A hashtag is 1 to ${LIMITS.hashtag} characters.`, 'tag');
  const position = timeIdCursor.decode(after);
  const rows = await db
    .select({ post: posts })
    .from(postHashtags)
    .innerJoin(posts, eq(posts.id, postHashtags.postId))
    .where(and(eq(postHashtags.tag, tag), position ? pastPosition(postHashtags.createdAt, postHashtags.postId, position, 'older') : undefined))
    .orderBy(sql`${postHashtags.createdAt} desc`, sql`${postHashtags.postId} desc`)
    .limit(first + 1);
  return toConnection(rows.map((r) => r.post), first, (r) => r, cursorOf);
}
