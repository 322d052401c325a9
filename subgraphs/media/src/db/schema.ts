import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgEnum, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outbox, processedEvents } from '@shutter/events';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * pending: URL handed out, no bytes yet. received: bytes stored, waiting for the worker.
 * ready: variants made. failed: refused (the error says why); nothing of it is kept.
 */
export const uploadStatus = pgEnum('upload_status', ['pending', 'receiving', 'received', 'ready', 'failed']);

export const uploads = pgTable(
  'uploads',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    declaredContentType: text('declared_content_type').notNull(),
    declaredByteSize: integer('declared_byte_size').notNull(),
    status: uploadStatus('status').notNull().default('pending'),
    // What the bytes are (sniffed), and where the original is kept until it is processed.
    format: text('format'),
    byteSize: integer('byte_size'),
    originalKey: text('original_key'),
    error: text('error'),
    expiresAt: at('expires_at').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    // Each upload becomes one post image or one avatar, once.
    usedAt: at('used_at'),
  },
  (t) => [index('uploads_owner_idx').on(t.ownerId)],
);

export interface StoredVariant {
  key: string;
  width: number;
  height: number;
  contentType: 'image/webp' | 'image/jpeg';
}

/** A processed image: the upload's id, its oriented size, blurhash and variants. */
export const images = pgTable('images', {
  id: uuid('id').primaryKey(),
  width: integer('width').notNull(),
  height: integer('height').notNull(),
  blurhash: text('blurhash'),
  variants: jsonb('variants').$type<StoredVariant[]>().notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});

/** processing: waiting on its images, seen only by its author. published: seen by all. */
export const postStatus = pgEnum('post_status', ['processing', 'published', 'failed']);

export const posts = pgTable(
  'posts',
  {
    id: uuid('id').primaryKey(),
    authorId: uuid('author_id').notNull(),
    caption: text('caption'),
    hashtags: text('hashtags').array().notNull().default(sql`'{}'::text[]`),
    status: postStatus('status').notNull(),
    likeCount: integer('like_count').notNull().default(0),
    commentCount: integer('comment_count').notNull().default(0),
    createdAt: at('created_at').notNull(),
    // Set by deletePost: the post is gone for readers, its row a tombstone until it is purged.
    deletedAt: at('deleted_at'),
  },
  (t) => [
    index('posts_author_created_idx').on(t.authorId, t.createdAt, t.id),
    index('posts_deleted_idx').on(t.deletedAt).where(sql`${t.deletedAt} IS NOT NULL`),
  ],
);

export const postImages = pgTable(
  'post_images',
  {
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
    imageId: uuid('image_id').notNull(),
    altText: text('alt_text'),
  },
  (t) => [primaryKey({ name: 'post_images_pkey', columns: [t.postId, t.position] })],
);

export const likes = pgTable(
  'likes',
  {
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'likes_pkey', columns: [t.postId, t.userId] })],
);

export const comments = pgTable(
  'comments',
  {
    id: uuid('id').primaryKey(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').notNull(),
    text: text('text').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('comments_post_created_idx').on(t.postId, t.createdAt, t.id)],
);

/** A post under each of its hashtags, for postsByHashtag (newest first, keyset). */
export const postHashtags = pgTable(
  'post_hashtags',
  {
    tag: text('tag').notNull(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'post_hashtags_pkey', columns: [t.tag, t.createdAt, t.postId] })],
);

export const avatars = pgTable('avatars', {
  userId: uuid('user_id').primaryKey(),
  imageId: uuid('image_id').notNull(),
});

/** Published posts per author, kept with the post, so postCount never counts. */
export const postCounts = pgTable('post_counts', {
  userId: uuid('user_id').primaryKey(),
  postCount: integer('post_count').notNull().default(0),
});

export { outbox, processedEvents };
export const schema = { uploads, images, posts, postImages, likes, comments, postHashtags, avatars, postCounts, outbox, processedEvents };
export type UploadRow = typeof uploads.$inferSelect;
export type ImageRow = typeof images.$inferSelect;
export type PostRow = typeof posts.$inferSelect;
export type CommentRow = typeof comments.$inferSelect;
