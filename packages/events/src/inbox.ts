import { primaryKey, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';

/**
 * The inbox: what a consumer has done, in its own database (its drizzle schema re-exports this
 * table, so its migrations create it). One row per event handled per queue, written once the
 * handler has succeeded. BullMQ's record of a completed job lives in Redis and is trimmed anyway;
 * this one survives both, so an event delivered again (the reconciler re-adding a job that Redis
 * lost, or whose record was trimmed) is recognised and skipped rather than handled twice.
 */
export const processedEvents = pgTable(
  'processed_events',
  {
    queue: text('queue').notNull(),
    eventId: uuid('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'processed_events_pkey', columns: [t.queue, t.eventId] }), index('processed_events_processed_at_idx').on(t.processedAt)],
);

/**
 * Kept longer than any producer keeps an unconfirmed outbox row (7 days, the longest an event can
 * be delivered again), so every redelivery finds its record.
 */
export const INBOX_RETENTION_MS = 8 * 24 * 3600_000;

export interface Inbox {
  /** Whether the event was handled on this queue already. */
  has(queue: string, eventId: string): Promise<boolean>;
  record(queue: string, eventId: string): Promise<void>;
  /** Removes records older than INBOX_RETENTION_MS; returns how many. */
  purge(): Promise<number>;
}

export function createInbox(sql: postgres.Sql): Inbox {
  return {
    async has(queue, eventId) {
      const rows = await sql`select 1 from processed_events where queue = ${queue} and event_id = ${eventId}`;
      return rows.length > 0;
    },
    async record(queue, eventId) {
      await sql`insert into processed_events (queue, event_id) values (${queue}, ${eventId}) on conflict do nothing`;
    },
    async purge() {
      const removed = await sql`delete from processed_events where processed_at < ${new Date(Date.now() - INBOX_RETENTION_MS).toISOString()}::timestamptz`;
      return removed.count;
    },
  };
}
