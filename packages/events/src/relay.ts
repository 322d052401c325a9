import type { Queue } from 'bullmq';
import type postgres from 'postgres';
import { eventCatalogue, jobOptionsOf, type EventName } from './catalogue.ts';
import { createQueue, type QueueSettings } from './queues.ts';
import type { RedisClient } from './redis.ts';

export const OUTBOX_CHANNEL = 'outbox';

/** How often the reconciler compares the outbox with what Redis holds: the bound on re-emitting a lost job. */
export const RECONCILE_INTERVAL_MS = 10_000;
/** A confirmed row (its jobs seen completed) is kept this long, then deleted. */
const RETAIN_CONFIRMED_MS = 24 * 3600_000;
/**
 * An unconfirmed row (a job that failed for good, kept in BullMQ's failed set as long) is kept
 * this long, and re-checked until then: a failed job that Redis loses is added again.
 */
const RETAIN_UNCONFIRMED_MS = 7 * 24 * 3600_000;

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OutboxRelayOptions {
  sql: postgres.Sql;
  queues: QueueSettings;
  log: Logger;
  /** Fallback poll when no NOTIFY arrives (another process, a lost connection). */
  pollIntervalMs?: number;
  batchSize?: number;
  reconcileIntervalMs?: number;
}

export interface ReconcileResult {
  /** Sent, unconfirmed rows compared with Redis. */
  checked: number;
  /** Rows whose every job was seen completed: confirmed, not checked again. */
  confirmed: number;
  /** Jobs Redis no longer had (lost, or completed and trimmed), added again. */
  readded: number;
}

export interface OutboxRelay {
  /** Relays until the outbox has nothing unsent; returns how many events it moved. */
  drain(): Promise<number>;
  /** One reconciler pass over every sent, unconfirmed row (it also runs every reconcileIntervalMs). */
  reconcile(): Promise<ReconcileResult>;
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  event: string;
  payload: unknown;
  trace_context: string | null;
}

/**
 * Moves outbox rows to BullMQ, and makes sure they stay delivered.
 *
 * The relay: rows are claimed with FOR UPDATE SKIP LOCKED (several relays may run), added to every
 * queue of their event with jobId = the row's id, and marked sent in the same transaction. A crash
 * between the add and the commit re-adds the same jobIds later, which BullMQ ignores while the job
 * exists.
 *
 * The reconciler: a sent row's job lives only in Redis, which can lose it (a FLUSHALL, a failover
 * to a replica behind, a restart without AOF). Every reconcileIntervalMs, each sent row not yet
 * confirmed is looked up in Redis, per queue: a job in the completed set confirms the row (its
 * effects are in the consumer's database from then on); a job still waiting, running, delayed or
 * failed is left alone; a job Redis does not have is added again, same jobId. That last case is
 * also a completed job trimmed by removeOnComplete before a pass saw it: its consumer's inbox
 * recognises the event and skips it, so re-adding it is harmless, and the next pass confirms it.
 * So a lost job is re-emitted within one interval (10 s), and its effect happens once.
 */
export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const { sql, log, pollIntervalMs = 1000, batchSize = 500, reconcileIntervalMs = RECONCILE_INTERVAL_MS } = options;
  const queues = new Map<string, Queue>();
  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = createQueue(name, options.queues);
      // Redis away: the add fails or waits; it is retried on the next tick. Not an 'error' without a listener.
      queue.on('error', () => undefined);
      queues.set(name, queue);
    }
    return queue;
  };
  const jobOf = (row: OutboxRow) => ({
    name: row.event,
    // traceContext: the emitting request's trace, which the job's span continues (see workers.ts).
    data: { event: row.event, eventId: row.id, payload: row.payload, ...(row.trace_context ? { traceContext: row.trace_context } : {}) },
    opts: { ...jobOptionsOf(row.event as EventName), jobId: row.id },
  });
  const queuesOf = (row: Pick<OutboxRow, 'id' | 'event'>): readonly string[] => {
    const entry = eventCatalogue[row.event as EventName];
    if (!entry) throw new Error(`outbox row ${row.id} has an event missing from the catalogue: ${row.event}`);
    return entry.queues;
  };

  async function relayBatch(): Promise<number> {
    return sql.begin(async (tx) => {
      const rows = await tx<OutboxRow[]>`
        select id, event, payload, trace_context from outbox where sent_at is null order by id limit ${batchSize} for update skip locked`;
      if (rows.length === 0) return 0;
      const byQueue = new Map<string, ReturnType<typeof jobOf>[]>();
      for (const row of rows) for (const queue of queuesOf(row)) byQueue.set(queue, [...(byQueue.get(queue) ?? []), jobOf(row)]);
      await Promise.all([...byQueue].map(([queue, jobs]) => queueFor(queue).addBulk(jobs)));
      await tx`update outbox set sent_at = now() where id = any(${rows.map((r) => r.id)}::uuid[])`;
      return rows.length;
    });
  }

  /**
   * One batch of sent, unconfirmed rows after `afterId`, compared with Redis. Ids and events only:
   * a payload is read again only for a job Redis lost (a NEW_POST page's is ~230 KB, and reading
   * and parsing a fan-out's hundred of them every pass stalled the worker for hundreds of ms).
   */
  async function reconcileBatch(afterId: string | null, result: ReconcileResult): Promise<string | null> {
    const rows = await sql<Pick<OutboxRow, 'id' | 'event'>[]>`
      select id, event from outbox
      where sent_at is not null and confirmed_at is null ${afterId ? sql`and id > ${afterId}` : sql``}
      order by id limit ${batchSize}`;
    if (rows.length === 0) return null;
    // Per queue, per row: does the job exist, and is it in the completed set? Two commands each, in
    // one pipeline per queue (one hash slot on a Redis Cluster; BullMQ's getState would instead
    // scan the wait list for every job).
    const byQueue = new Map<string, string[]>();
    for (const row of rows) for (const queue of queuesOf(row)) byQueue.set(queue, [...(byQueue.get(queue) ?? []), row.id]);
    const pending = new Set<string>();
    let readded = 0;
    for (const [name, ids] of byQueue) {
      const queue = queueFor(name);
      const client = (await queue.client) as unknown as RedisClient;
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.exists(queue.toKey(id)).zscore(queue.keys.completed!, id);
      const replies = (await pipeline.exec()) ?? [];
      const lost: string[] = [];
      ids.forEach((id, i) => {
        const [existsError, exists] = replies[2 * i] ?? [new Error('no reply'), null];
        const [scoreError, score] = replies[2 * i + 1] ?? [new Error('no reply'), null];
        if (existsError || scoreError) throw existsError ?? scoreError;
        if (exists === 0) lost.push(id);
        if (exists === 0 || score === null) pending.add(id);
      });
      if (lost.length > 0) {
        const lostRows = await sql<OutboxRow[]>`select id, event, payload, trace_context from outbox where id = any(${lost}::uuid[]) order by id`;
        await queue.addBulk(lostRows.map(jobOf));
        // A row the relay's clean-up deleted in between is not added again.
        readded += lostRows.length;
      }
    }
    const confirmed = rows.filter((r) => !pending.has(r.id)).map((r) => r.id);
    if (confirmed.length > 0) await sql`update outbox set confirmed_at = now() where id = any(${confirmed}::uuid[])`;
    result.checked += rows.length;
    result.confirmed += confirmed.length;
    result.readded += readded;
    return rows.at(-1)!.id;
  }

  async function reconcile(): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, confirmed: 0, readded: 0 };
    for (let after = await reconcileBatch(null, result); after; after = await reconcileBatch(after, result));
    if (result.readded > 0) log.warn({ ...result }, 'reconciler: re-added jobs that Redis no longer had (lost, or completed and trimmed)');
    return result;
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
        await sql`
          delete from outbox
          where confirmed_at < ${new Date(Date.now() - RETAIN_CONFIRMED_MS).toISOString()}::timestamptz
             or sent_at < ${new Date(Date.now() - RETAIN_UNCONFIRMED_MS).toISOString()}::timestamptz`;
      }
    } catch (err) {
      log.error({ err }, 'outbox relay failed; retrying on the next tick');
    } finally {
      running = false;
    }
    return moved;
  }

  let reconciling: Promise<unknown> | null = null;
  const reconcileTick = () => {
    if (reconciling || stopped) return;
    reconciling = reconcile()
      .catch((err: unknown) => log.error({ err }, 'outbox reconciler failed; retrying on the next tick'))
      .finally(() => (reconciling = null));
  };

  const listener = await sql.listen(OUTBOX_CHANNEL, () => void run());
  const timer = setInterval(() => void run(), pollIntervalMs);
  const reconcileTimer = setInterval(reconcileTick, reconcileIntervalMs);
  void run();

  return {
    async drain() {
      let total = 0;
      while (running) await new Promise((r) => setTimeout(r, 5));
      for (let n = await relayBatch(); n > 0; n = await relayBatch()) total += n;
      return total;
    },
    reconcile,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(reconcileTimer);
      await listener.unlisten().catch(() => undefined);
      while (running) await new Promise((r) => setTimeout(r, 5));
      await reconciling;
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
