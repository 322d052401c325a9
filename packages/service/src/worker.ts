import type { Job, Queue, Worker, WorkerOptions } from 'bullmq';
import type { Sql } from '@shutter/db';
import { ActiveJobs, checkRedisDurability, createInbox, createQueue, createRedisConnection, startOutboxRelay, startQueueWorkers, type OutboxRelay, type RedisClient } from '@shutter/events';
import { watchQueueDepth, type QueueDepth } from '@shutter/telemetry';
import { withDeadline } from './deadline.ts';
import { createLogger, type Logger } from './logger.ts';
import { startWorkerHealth, within, type WorkerHealth } from './worker-health.ts';

/**
 * On stop, how long running jobs may take to finish. Longer ones (a fan-out to 100,000 followers
 * takes about 8 s) are handed back to their queue (ActiveJobs), and run on another worker, or this
 * one restarted, from their start.
 */
const JOBS_GRACE_MS = 3000;

/** What a worker's setup gets: the BullMQ connection it may share (its own queues), and the log. */
export interface WorkerSetupContext {
  connection: RedisClient;
  logger: Logger;
}

export interface WorkerSetup<Q extends string> {
  /** A handler per queue this service consumes (a record, so a queue without one is a compile error). */
  handlers: Record<Q, (job: Job) => Promise<unknown>>;
  /** Per-queue BullMQ options (concurrency, a backoff strategy). */
  queueOptions?: Partial<Record<Q, Partial<WorkerOptions>>>;
  /** More to close on shutdown, after the workers have stopped and before Redis and the database. */
  closes?: (() => Promise<void>)[];
  /** Upkeep on a timer (purges, reconcilers): one run at a time each, failures logged and retried on the next tick. */
  periodic?: PeriodicTask[];
}

export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface ServiceWorkerOptions<Q extends string> {
  /** The process's name in logs (`feed-worker`). */
  name: string;
  /** The consuming service: every catalogue queue named `<service>.*` must have a handler here. */
  service: string;
  config: { REDIS_URL: string; QUEUE_PREFIX: string; LOG_LEVEL: string };
  logger?: Logger;
  /** The service's database. With `relay`, its outbox is relayed to BullMQ. Closed last. */
  database?: { sql: Sql; close(): Promise<void> };
  relay?: boolean;
  setup(context: WorkerSetupContext): WorkerSetup<Q> | Promise<WorkerSetup<Q>>;
}

export interface RunningWorker {
  /** One BullMQ worker per queue (tests pause one to hold a job back). */
  workers: Worker[];
  relay: OutboxRelay | null;
  logger: Logger;
  /** The probe listener, when WORKER_HEALTH_PORT is set. */
  health: WorkerHealth | null;
  close(): Promise<void>;
}

/**
 * A service's worker process, the same in every service: one BullMQ worker per queue it consumes
 * (checked against the event catalogue at start), the outbox relay if it emits events, and an
 * orderly shutdown: stop taking jobs and let the running ones finish, stop the relay, then close
 * what the setup opened, Redis and the database.
 */
export async function startServiceWorker<Q extends string>(options: ServiceWorkerOptions<Q>): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger(options.name, options.config.LOG_LEVEL);
  // The probes first (a bad WORKER_HEALTH_* fails before anything is started): live from here on,
  // ready once the workers below run.
  let workers: Worker[] = [];
  let started = false;
  let closing = false;
  const connection = createRedisConnection(options.config.REDIS_URL);
  const health = await startWorkerHealth(options.name, {
    problems: async () => {
      const problems: string[] = [];
      if (!started) problems.push('starting');
      if (closing) problems.push('shutting down');
      if (connection.status !== 'ready') problems.push(`redis connection is ${connection.status}`);
      for (const worker of workers) if (!worker.isRunning()) problems.push(`queue ${worker.name}: worker not running`);
      if (options.database) {
        await within(2_000, 'the database', options.database.sql`select 1`).catch((e: unknown) =>
          problems.push(e instanceof Error ? e.message : String(e)),
        );
      }
      return problems;
    },
  }).catch((e: unknown) => {
    connection.disconnect();
    throw e;
  });
  // Not awaited: a Redis that is down at start must not hold the worker (it waits for Redis anyway).
  void checkRedisDurability(connection, logger).catch(() => undefined);
  const setup = await options.setup({ connection, logger });
  const consumes = Object.keys(setup.handlers).length > 0;
  // What this consumer has handled, in its own database (the outbox reconciler may deliver again).
  const inbox = options.database && consumes ? createInbox(options.database.sql) : undefined;
  const active = new ActiveJobs();
  workers = startQueueWorkers(setup.handlers, {
    service: options.service,
    connection,
    prefix: options.config.QUEUE_PREFIX,
    log: logger,
    options: setup.queueOptions,
    inbox,
    active,
  });
  // The depth and oldest waiting job of each queue this worker consumes, read on each scrape of
  // /metrics (the health listener's). Every replica reports the same figures: take their max.
  const watched = Object.keys(setup.handlers).map((name) => {
    const queue = createQueue(name, { connection, prefix: options.config.QUEUE_PREFIX });
    queue.on('error', () => undefined);
    return { queue, unwatch: watchQueueDepth(name, () => queueDepth(queue)) };
  });
  let relay: OutboxRelay | null = null;
  if (options.relay) {
    if (!options.database) throw new Error(`${options.name}: the outbox relay needs the service's database`);
    relay = await startOutboxRelay({ sql: options.database.sql, queues: { connection, prefix: options.config.QUEUE_PREFIX }, log: logger });
  }
  const periodic = [...(setup.periodic ?? []), ...(inbox ? [{ name: 'purge the inbox', everyMs: 3600_000, run: () => inbox.purge() }] : [])];
  const timers = periodic.map((task) => startPeriodic(task, logger));
  started = true;
  logger.info({ queues: Object.keys(setup.handlers), relay: !!relay, periodic: periodic.map((t) => t.name), health: health?.url }, `${options.name} running`);
  return {
    workers,
    relay,
    logger,
    health,
    close: async () => {
      // Not ready from here on; the listener itself closes last, so a probe during the drain gets
      // an answer (503) rather than a refused connection.
      closing = true;
      // In order, each step bounded: a job or a task stuck on a Redis that is down must not hold
      // the stop. A job still running after the grace is handed back to its queue, and runs again
      // elsewhere (handlers are idempotent); one that cannot be (Redis away) keeps its lock until it
      // expires, and then runs again elsewhere.
      await withDeadline(Promise.all(timers.map((stop) => stop())), 1000, () => logger.warn('periodic tasks did not finish in 1 s; stopping anyway'));
      // (BullMQ's close(true) cannot cut a close(false) under way short, so past the grace the
      // process simply goes on stopping; the process exit ends those jobs.)
      await withDeadline(Promise.all(workers.map((w) => w.close())), JOBS_GRACE_MS, async () => {
        const running = active.size;
        let handedBack = 0;
        await withDeadline(active.handBack().then((n) => (handedBack = n)), 1000, () => undefined);
        logger.warn({ running, handedBack }, `jobs still running after ${JOBS_GRACE_MS / 1000} s; handed back to their queues, stopping without them`);
      });
      if (relay) await withDeadline(relay.stop(), 1000, () => logger.warn('the outbox relay did not stop in 1 s; its batch is rolled back with the connection'));
      for (const close of setup.closes ?? []) await withDeadline(close(), 1000, () => undefined);
      for (const { unwatch } of watched) unwatch();
      await withDeadline(Promise.all(watched.map(({ queue }) => queue.close())), 500, () => undefined);
      await withDeadline(connection.quit(), 500, () => connection.disconnect());
      await options.database?.close();
      await health?.close();
    },
  };
}

/** What a queue holds, by state, and when its longest-waiting job was added. */
async function queueDepth(queue: Queue): Promise<QueueDepth> {
  const [counts, oldest] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'),
    // The far end of the wait list (and of the paused one, while the queue is paused): BullMQ adds
    // at the head and takes from the tail.
    queue.getJobs(['wait', 'paused'], 0, 0, true),
  ]);
  const added = oldest.filter(Boolean).map((job) => job.timestamp);
  return { counts, oldestWaitingAddedAt: added.length > 0 ? Math.min(...added) : null };
}

/** Runs a task every `everyMs` (never two runs at once); the returned function stops it and waits for a run under way. */
function startPeriodic(task: PeriodicTask, logger: Logger): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = task
      .run()
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err, task: task.name }, 'periodic task failed; it runs again on the next tick'),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, task.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
