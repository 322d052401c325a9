import { index, integer, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outbox } from '@shutter/events';

/**
 * The follow edges, by user id only: this service knows a user exists because the users subgraph
 * said so when the edge was made.
 */
export const follows = pgTable(
  'follows',
  {
    followerId: uuid('follower_id').notNull(),
    followeeId: uuid('followee_id').notNull(),
    // Set by the application at millisecond precision, so cursors carry it exactly.
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    // Also answers "does the viewer follow X" for a batch of X.
    primaryKey({ name: 'follows_pkey', columns: [t.followerId, t.followeeId] }),
    // Keyset pages of a user's followers / following, newest first, read backwards.
    index('follows_followee_created_idx').on(t.followeeId, t.createdAt, t.followerId),
    index('follows_follower_created_idx').on(t.followerId, t.createdAt, t.followeeId),
  ],
);

/** Counters kept in the transaction that changes an edge, so reads never count. */
export const followCounts = pgTable('follow_counts', {
  userId: uuid('user_id').primaryKey(),
  followerCount: integer('follower_count').notNull().default(0),
  followingCount: integer('following_count').notNull().default(0),
});

export { outbox };
export const schema = { follows, followCounts, outbox };
