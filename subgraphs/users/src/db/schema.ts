import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { outbox, processedEvents } from '@shutter/events';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    // Stored lower-case: the contract's alphabet is [a-z0-9._], and uniqueness is case-insensitive.
    username: text('username').notNull(),
    email: text('email').notNull(),
    displayName: text('display_name'),
    bio: text('bio'),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_username_key').on(t.username),
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    // Prefix search (searchUsers): text_pattern_ops lets `LIKE 'abc%'` use the index in any collation.
    index('users_username_prefix_idx').using('btree', sql`${t.username} text_pattern_ops`),
    index('users_display_name_prefix_idx').using('btree', sql`lower(${t.displayName}) text_pattern_ops`),
  ],
);

/** A login: one per device or browser. Its refresh tokens rotate; the session lives on. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId)],
);

/**
 * Every refresh token ever issued, by its SHA-256 (the token itself is 256 random bits, so a fast
 * hash is enough). A token is spent once; presenting a spent one again means it leaked, and the
 * whole session is revoked.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    spentAt: timestamp('spent_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);

export const pushPlatform = pgEnum('push_platform', ['WEB_PUSH', 'FCM']);

export const pushDevices = pgTable(
  'push_devices',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    platform: pushPlatform('platform').notNull(),
    // FCM registration token, or the Web Push subscription JSON.
    token: text('token').notNull(),
    // Web Push: the subscription's endpoint, which identifies the browser; FCM: the token itself.
    endpoint: text('endpoint').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // One device belongs to one user: registering it again (after another user logs in) moves it.
    uniqueIndex('push_devices_platform_endpoint_key').on(t.platform, t.endpoint),
    index('push_devices_user_id_idx').on(t.userId),
  ],
);

// Its worker hands itself one push job per device through its own outbox (push.requested), so that
// the pushes survive Redis losing data as every event does; and records what it has handled.
export { outbox, processedEvents };
export const schema = { users, sessions, refreshTokens, pushDevices, outbox, processedEvents };
export type UserRow = typeof users.$inferSelect;
export type PushDeviceRow = typeof pushDevices.$inferSelect;
