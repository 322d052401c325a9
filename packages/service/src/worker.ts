import type { Job, Worker, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Sql } from '@shutter/db';
import { createRedisConnection, startOutboxRelay, startQueueWorkers, type OutboxRelay } from '@shutter/events';
import { createLogger, type Logger } from './logger.ts';

/** What a worker's setup gets: the BullMQ connection it may share (its own queues), and the log. */
export interface WorkerSetupContext {
  connection: Redis;
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
  const connection = createRedisConnection(options.config.REDIS_URL);
  const setup = await options.setup({ connection, logger });
  const workers = startQueueWorkers(setup.handlers, {
    service: options.service,
    connection,
    prefix: options.config.QUEUE_PREFIX,
    log: logger,
    options: setup.queueOptions,
  });
  let relay: OutboxRelay | null = null;
  if (options.relay) {
    if (!options.database) throw new Error(`${options.name}: the outbox relay needs the service's database`);
    relay = await startOutboxRelay({ sql: options.database.sql, queues: { connection, prefix: options.config.QUEUE_PREFIX }, log: logger });
  }
  const timers = (setup.periodic ?? []).map((task) => startPeriodic(task, logger));
  logger.info({ queues: Object.keys(setup.handlers), relay: !!relay, periodic: (setup.periodic ?? []).map((t) => t.name) }, `${options.name} running`);
  return {
    workers,
    relay,
    logger,
    close: async () => {
      await Promise.all(timers.map((stop) => stop()));
      await Promise.all(workers.map((w) => w.close()));
      await relay?.stop();
      for (const close of setup.closes ?? []) await close();
      await connection.quit().catch(() => connection.disconnect());
      await options.database?.close();
    },
  };
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
