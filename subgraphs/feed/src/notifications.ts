import { and, desc, eq, isNull, lt, lte, sql } from 'drizzle-orm';
import type { RedisClient } from '@shutter/events';
import { liveEvent } from '@shutter/contracts';
import { isId, newId } from '@shutter/db';
import { emitEvent } from '@shutter/events';
import { badUserInput, cursorId, keysetCursor, toConnection, type Connection } from '@shutter/service';
import type { FeedDb } from './db/index.ts';
import type { LiveChannels } from './live.ts';
import { notifications, type NotificationKind, type NotificationRow } from './db/schema.ts';

export interface NewNotification {
  recipientId: string;
  kind: NotificationKind;
  actorId: string;
  postId?: string | null;
  commentId?: string | null;
  /** What makes it the same notification again (see the column). */
  dedupeKey: string;
  createdAt: Date;
}

export interface NotificationDeps {
  db: FeedDb;
  redis: RedisClient;
  live: LiveChannels;
}

/**
 * Stores notifications (one statement for a page of them), skipping self-notifications and any
 * already stored, and queues their pushes through the outbox (one event for the batch), in the
 * same transaction.
 * After the commit, each new one is announced on its recipient's live channel: best effort, since
 * the stored list is the record and a subscriber that missed it sees it there.
 *
 * The rows go in as one array per column through unnest: eight bind parameters for a page of
 * 1,000 rather than 8,000, which Postgres plans once and drizzle does not have to build (the
 * VALUES list was most of a fan-out page's time).
 */
export async function createNotifications(deps: NotificationDeps, items: NewNotification[]): Promise<NotificationRow[]> {
  const rows: NotificationRow[] = items
    .filter((n) => n.recipientId !== n.actorId)
    .map((n) => ({ id: newId(), recipientId: n.recipientId, kind: n.kind, actorId: n.actorId, postId: n.postId ?? null, commentId: n.commentId ?? null, dedupeKey: n.dedupeKey, createdAt: n.createdAt, readAt: null }));
  if (rows.length === 0) return [];
  const column = <T>(of: (row: NotificationRow) => T) => sql.param(rows.map(of));
  const created = await deps.db.transaction(async (tx) => {
    const inserted = await tx.execute<{ id: string }>(sql`
      insert into ${notifications} (id, recipient_id, kind, actor_id, post_id, comment_id, dedupe_key, created_at)
      select * from unnest(
        ${column((r) => r.id)}::uuid[], ${column((r) => r.recipientId)}::uuid[], ${column((r) => r.kind)}::text[]::notification_kind[],
        ${column((r) => r.actorId)}::uuid[], ${column((r) => r.postId)}::uuid[], ${column((r) => r.commentId)}::uuid[],
        ${column((r) => r.dedupeKey)}::text[], ${column((r) => r.createdAt.toISOString())}::text[]::timestamptz[])
      on conflict do nothing
      returning id`);
    const insertedIds = new Set(inserted.map((r) => r.id));
    const stored = insertedIds.size === rows.length ? rows : rows.filter((r) => insertedIds.has(r.id));
    if (stored.length > 0) {
      await emitEvent(tx, 'notification.created', {
        notifications: stored.map((n) => ({
          notificationId: n.id,
          recipientId: n.recipientId,
          kind: n.kind,
          actorId: n.actorId,
          postId: n.postId,
          commentId: n.commentId,
          createdAt: n.createdAt.toISOString(),
        })),
      });
    }
    return stored;
  });
  if (created.length > 0) {
    const pipeline = deps.redis.pipeline();
    for (const n of created) pipeline.publish(deps.live.notifications(n.recipientId), liveEvent(n.id));
    await pipeline.exec();
  }
  return created;
}

/** Notifications are ordered by their (time-ordered) id alone. */
const notificationCursor = keysetCursor(cursorId);

/** The viewer's notifications, newest first, by keyset on the (time-ordered) id. */
export async function listNotifications(db: FeedDb, viewerId: string, first: number, after: string | null | undefined): Promise<Connection<NotificationRow>> {
  const position = notificationCursor.decode(after);
  const rows = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.recipientId, viewerId), position ? lt(notifications.id, position[0]) : undefined))
    .orderBy(desc(notifications.id))
    .limit(first + 1);
  return toConnection(rows, first, (r) => r, (r) => notificationCursor.encode([r.id]));
}

export async function unreadNotificationCount(db: FeedDb, viewerId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.recipientId, viewerId), isNull(notifications.readAt)));
  return row?.count ?? 0;
}

/** Marks the viewer's unread notifications read, all of them or up to one (inclusive); returns how many changed. */
export async function markNotificationsRead(db: FeedDb, viewerId: string, upTo: string | null | undefined): Promise<number> {
  if (upTo != null && !isId(upTo)) throw badUserInput('upTo is not a notification id.', 'upTo');
  const changed = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(eq(notifications.recipientId, viewerId), isNull(notifications.readAt), upTo ? lte(notifications.id, upTo) : undefined))
    .returning({ id: notifications.id });
  return changed.length;
}

/** One of the viewer's notifications (the gateway hydrates live ones through this); null if not theirs. */
export async function notificationById(db: FeedDb, viewerId: string, id: string): Promise<NotificationRow | null> {
  if (!isId(id)) return null;
  const [row] = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.id, id), eq(notifications.recipientId, viewerId)));
  return row ?? null;
}

/** A deleted post takes its notifications with it (likes, comments and NEW_POST of it). */
export async function deleteNotificationsOfPost(db: FeedDb, postId: string): Promise<void> {
  await db.delete(notifications).where(eq(notifications.postId, postId));
}
