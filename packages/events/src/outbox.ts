import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { v7 as uuidv7 } from 'uuid';
import { eventCatalogue, type EventName, type EventPayload } from './catalogue.ts';
import { OUTBOX_CHANNEL } from './relay.ts';

/**
 * The transactional outbox: every service that emits events has this table in its own database
 * (its drizzle schema re-exports it, so its migrations create it).
 */
export const outbox = pgTable(
  'outbox',
  {
    // UUIDv7: time-ordered, so the relay reads in commit-ish order; also the BullMQ jobId.
    id: uuid('id').primaryKey(),
    event: text('event').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('outbox_unsent_idx').on(t.id).where(sql`${t.sentAt} IS NULL`)],
);

type AnyPgDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/**
 * Records an event in the outbox. Call it with the transaction that makes the change, so that the
 * event exists if and only if the change committed.
 */
export async function emitEvent<E extends EventName>(
  tx: Pick<AnyPgDatabase, 'insert' | 'execute'>,
  event: E,
  payload: EventPayload<E>,
): Promise<string> {
  const checked = eventCatalogue[event].payload.parse(payload);
  const eventId = uuidv7();
  await tx.insert(outbox).values({ id: eventId, event, payload: checked });
  // Wakes the relay at commit (NOTIFY is transactional); the relay also polls, so nothing waits on it.
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
  return eventId;
}
