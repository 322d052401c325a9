import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { NOTIFICATION_KINDS, outbox, processedEvents } from '@shutter/events';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Every published post, by id, author and time only (media owns the rest): what a timeline is
 * rebuilt from, and what a celebrity's followers read at request time. A deleted post keeps its row
 * with deleted_at set, so a post.created that arrives after its post.deleted cannot resurrect it.
 */
export const feedPosts = pgTable(
  'feed_posts',
  {
    postId: uuid('post_id').primaryKey(),
    authorId: uuid('author_id').notNull(),
    createdAt: at('created_at').notNull(),
    deletedAt: at('deleted_at'),
  },
  (t) => [index('feed_posts_author_created_idx').on(t.authorId, t.createdAt, t.postId).where(sql`${t.deletedAt} IS NULL`)],
);

/**
 * Authors who were above the follower threshold at one of their posts: those posts were not fanned
 * out, so readers pull them at read. They stay here after dropping below it, for those posts.
 */
export const celebrities = pgTable('celebrities', {
  userId: uuid('user_id').primaryKey(),
  followerCount: integer('follower_count').notNull(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const notificationKind = pgEnum('notification_kind', NOTIFICATION_KINDS);

export const notifications = pgTable(
  'notifications',
  {
    // UUIDv7, made when the row is inserted: newest first is id order, and the id is the cursor.
    id: uuid('id').primaryKey(),
    recipientId: uuid('recipient_id').notNull(),
    kind: notificationKind('kind').notNull(),
    actorId: uuid('actor_id').notNull(),
    postId: uuid('post_id'),
    commentId: uuid('comment_id'),
    // What makes two notifications the same (a like of one post by one user, one comment, ...): a
    // re-delivered event, or a like / unlike / like, notifies once.
    dedupeKey: text('dedupe_key').notNull(),
    createdAt: at('created_at').notNull(),
    readAt: at('read_at'),
  },
  (t) => [
    uniqueIndex('notifications_recipient_dedupe_key').on(t.recipientId, t.dedupeKey),
    index('notifications_recipient_id_idx').on(t.recipientId, t.id),
    index('notifications_unread_idx').on(t.recipientId).where(sql`${t.readAt} IS NULL`),
    index('notifications_post_idx').on(t.postId).where(sql`${t.postId} IS NOT NULL`),
  ],
);

export { outbox, processedEvents };
export const schema = { feedPosts, celebrities, notifications, outbox, processedEvents };
export type FeedPostRow = typeof feedPosts.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type NotificationKind = NotificationRow['kind'];
