import type { Queue } from 'bullmq';
import type postgres from 'postgres';
import { eventCatalogue, type EventName } from './catalogue.ts';
import { createQueue, type QueueSettings } from './queues.ts';

export const OUTBOX_CHANNEL = 'outbox';

interface Logger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OutboxRelayOptions {
  sql: postgres.Sql;
  queues: QueueSettings;
  log: Logger;
  /** Fallback poll when no NOTIFY arrives (another process, a lost connection). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Sent rows are deleted after this long. */
  retainSentMs?: number;
}

export interface OutboxRelay {
  /** Relays until the outbox has nothing unsent; returns how many events it moved. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Moves outbox rows to BullMQ. Rows are claimed with FOR UPDATE SKIP LOCKED (several relays may
 * run), added to every queue of their event with jobId = the row's id, and marked sent in the same
 * transaction. A crash between the add and the commit re-adds the same jobIds later, which BullMQ
 * ignores: each event becomes one job per queue.
 */
export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const { sql, log, pollIntervalMs = 1000, batchSize = 500, retainSentMs = 24 * 3600_000 } = options;
  const queues = new Map<string, Queue>();
  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = createQueue(name, options.queues);
      queues.set(name, queue);
    }
    return queue;
  };

  async function relayBatch(): Promise<number> {
    return sql.begin(async (tx) => {
      const rows = await tx<{ id: string; event: string; payload: unknown }[]>`
        select id, event, payload from outbox where sent_at is null order by id limit ${batchSize} for update skip locked`;
      if (rows.length === 0) return 0;
      const byQueue = new Map<string, { name: string; data: unknown; opts: { jobId: string } }[]>();
      for (const row of rows) {
        const entry = eventCatalogue[row.event as EventName];
        if (!entry) throw new Error(`outbox row ${row.id} has an event missing from the catalogue: ${row.event}`);
        for (const queue of entry.queues) {
          const jobs = byQueue.get(queue) ?? [];
          jobs.push({ name: row.event, data: { event: row.event, eventId: row.id, payload: row.payload }, opts: { jobId: row.id } });
          byQueue.set(queue, jobs);
        }
      }
      await Promise.all([...byQueue].map(([queue, jobs]) => queueFor(queue).addBulk(jobs)));
      await tx`update outbox set sent_at = now() where id = any(${rows.map((r) => r.id)}::uuid[])`;
      return rows.length;
    });
  }

  let running = false;
  let again = false;
  let stopped = false;
  let lastCleanup = 0;
  async function run(): Promise<number> {
    if (running) {
      again = true;
      return 0;
    }
    running = true;
    let moved = 0;
    try {
      do {
        again = false;
        for (let n = await relayBatch(); n > 0; n = await relayBatch()) moved += n;
      } while (again && !stopped);
      if (Date.now() - lastCleanup > 60_000) {
        lastCleanup = Date.now();
        await sql`delete from outbox where sent_at < ${new Date(Date.now() - retainSentMs).toISOString()}::timestamptz`;
      }
    } catch (err) {
      log.error({ err }, 'outbox relay failed; retrying on the next tick');
    } finally {
      running = false;
    }
    return moved;
  }

  const listener = await sql.listen(OUTBOX_CHANNEL, () => void run());
  const timer = setInterval(() => void run(), pollIntervalMs);
  void run();

  return {
    async drain() {
      let total = 0;
      while (running) await new Promise((r) => setTimeout(r, 5));
      for (let n = await relayBatch(); n > 0; n = await relayBatch()) total += n;
      return total;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener.unlisten();
      while (running) await new Promise((r) => setTimeout(r, 5));
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
