/**
 * Bulk seeding for benchmarks (bench/seed.ts), into this service's own tables and storage: a few
 * distinct photos rendered once through the worker's own image code (renderVariants) and stored,
 * then many posts whose images reuse those stored variants, with their likes and comments, in one
 * insert per 5,000 rows and the counters the write paths keep (like_count, comment_count, post_counts)
 * set to match. Not used by the service itself.
 */
import { insertMany, type Sql } from '@shutter/db';
import type { StoredVariant } from './db/schema.ts';
import { renderVariants } from './processing.ts';
import type { ObjectStorage } from './storage/index.ts';

export interface SeedPhoto {
  width: number;
  height: number;
  blurhash: string;
  variants: StoredVariant[];
}

/** Each original rendered and its variants stored under `images/<id>/`, as the worker does for an upload. */
export async function renderSeedPhotos(storage: ObjectStorage, originals: { id: string; bytes: Buffer }[], maxInputPixels = 100_000_000): Promise<SeedPhoto[]> {
  const photos: SeedPhoto[] = [];
  for (const { id, bytes } of originals) {
    const processed = await renderVariants(bytes, id, maxInputPixels);
    for (const v of processed.variants) await storage.put(v.key, v.body, v.contentType);
    photos.push({ width: processed.width, height: processed.height, blurhash: processed.blurhash, variants: processed.variants.map(({ body: _body, ...v }) => v) });
  }
  return photos;
}

export interface SeedPost {
  id: string;
  authorId: string;
  caption: string;
  createdAt: Date;
  /** One image row per entry: its own id, showing one of the rendered photos (an index into them). */
  images: { id: string; photo: number }[];
  likedBy: string[];
  comments: { id: string; authorId: string; text: string; createdAt: Date }[];
}

export async function bulkInsertPosts(sql: Sql, photos: SeedPhoto[], posts: SeedPost[]): Promise<{ posts: number; images: number; likes: number; comments: number }> {
  const imageRows = function* () {
    for (const p of posts) for (const image of p.images) {
      const photo = photos[image.photo]!;
      yield [image.id, photo.width, photo.height, photo.blurhash, photo.variants, p.createdAt];
    }
  };
  const images = await insertMany(sql, 'images', ['id', 'width', 'height', 'blurhash', 'variants', 'created_at'], imageRows());
  const postRows = function* () {
    for (const p of posts) yield [p.id, p.authorId, p.caption, 'published', p.likedBy.length, p.comments.length, p.createdAt];
  };
  const postCount = await insertMany(sql, 'posts', ['id', 'author_id', 'caption', 'status', 'like_count', 'comment_count', 'created_at'], postRows());
  const postImageRows = function* () {
    for (const p of posts) for (const [position, image] of p.images.entries()) yield [p.id, position, image.id];
  };
  await insertMany(sql, 'post_images', ['post_id', 'position', 'image_id'], postImageRows());
  const likeRows = function* () {
    for (const p of posts) for (const userId of p.likedBy) yield [p.id, userId, p.createdAt];
  };
  const likes = await insertMany(sql, 'likes', ['post_id', 'user_id', 'created_at'], likeRows());
  const commentRows = function* () {
    for (const p of posts) for (const c of p.comments) yield [c.id, p.id, c.authorId, c.text, c.createdAt];
  };
  const comments = await insertMany(sql, 'comments', ['id', 'post_id', 'author_id', 'text', 'created_at'], commentRows());
  await sql`
    insert into post_counts (user_id, post_count)
    select author_id, count(*)::int from posts where status = 'published' and deleted_at is null group by author_id
    on conflict (user_id) do update set post_count = excluded.post_count`;
  for (const table of ['images', 'posts', 'post_images', 'likes', 'comments', 'post_counts']) await sql.unsafe(`analyze ${table}`);
  return { posts: postCount, images, likes, comments };
}
