import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { activeTraceParent } from '@shutter/telemetry';
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
    // Its jobs were added to BullMQ (by the relay).
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
    // Its jobs were seen completed (by the reconciler): from then on the event's effects are
    // recorded in its consumers' databases, and nothing Redis loses can undo them.
    confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }),
    // The W3C traceparent of the request (or job) that emitted the event, carried into its jobs so
    // that their spans join that trace. Null when tracing is off.
    traceContext: text('trace_context'),
  },
  (t) => [
    index('outbox_unsent_idx').on(t.id).where(sql`${t.sentAt} IS NULL`),
    // What the reconciler checks against Redis: sent, not yet seen completed.
    index('outbox_unconfirmed_idx').on(t.id).where(sql`${t.sentAt} IS NOT NULL AND ${t.confirmedAt} IS NULL`),
  ],
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
  const [eventId] = await emitEvents(tx, event, [payload]);
  return eventId!;
}

/**
 * Records several events of one kind in one statement. With `idOf`, each event's id is derived
 * from what it is about (a UUIDv5, see eventIdFor) rather than new, and one already recorded is
 * skipped: the same push requested twice (a handler run again) is one event, sent once.
 */
export async function emitEvents<E extends EventName>(
  tx: Pick<AnyPgDatabase, 'insert' | 'execute'>,
  event: E,
  payloads: EventPayload<E>[],
  options: { idOf?: (payload: EventPayload<E>) => string } = {},
): Promise<string[]> {
  if (payloads.length === 0) return [];
  const traceContext = activeTraceParent();
  const rows = payloads.map((payload) => ({
    id: options.idOf ? options.idOf(payload) : uuidv7(),
    event,
    payload: eventCatalogue[event].payload.parse(payload),
    traceContext,
  }));
  // In slices, under Postgres's 65,535 bind parameters per statement.
  for (let i = 0; i < rows.length; i += 5000) await tx.insert(outbox).values(rows.slice(i, i + 5000)).onConflictDoNothing();
  // Wakes the relay at commit (NOTIFY is transactional); the relay also polls, so nothing waits on it.
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
  return rows.map((r) => r.id);
}

const EVENT_ID_NAMESPACE = '6f1d2c1e-8b0a-4d5e-9f3a-2b7c8d9e0f11';

/** A stable event id for what an event is about (`push:<notification>:<device>`): the same thing, the same id. */
export const eventIdFor = (key: string): string => uuidv5(key, EVENT_ID_NAMESPACE);
