import { Worker, type ConnectionOptions, type Job, type WorkerOptions } from 'bullmq';
import { eventCatalogue } from './catalogue.ts';
import type { Inbox } from './inbox.ts';
import { queuePrefix } from './queues.ts';
import { contextFrom, inSpan, jobDuration, jobsProcessed, SpanKind } from '@shutter/telemetry';

/**
 * How BullMQ notices a worker that died with a job (SIGKILL, a crash, a lost machine), so the job
 * resumes on another worker (or on this one restarted) within about 10 s instead of BullMQ's
 * 30 s + 30 s. A running job's lock lasts LOCK_DURATION_MS and is renewed every half of it; a
 * stalled-job check runs every STALLED_INTERVAL_MS and moves a job back to waiting once it has seen
 * it active without a lock on two checks in a row. So a job resumes between about
 * LOCK_DURATION_MS / 2 and LOCK_DURATION_MS + 2 * STALLED_INTERVAL_MS after its worker died: 3 to
 * 12 s, about 8 s typically. Shorter would make a busy event loop (renewals are timers) look dead;
 * these workers never block it for seconds (sharp runs off the main thread).
 */
export const LOCK_DURATION_MS = 6000;
export const STALLED_INTERVAL_MS = 3000;
/**
 * A job stalls (its lock lapses) when its worker dies, and also when Redis is away for longer than
 * the lock lasts. Past this many stalls it fails for good (BullMQ's guard against a job that kills
 * its worker every time); a few outages in a job's life should not count as that.
 */
export const MAX_STALLED_COUNT = 5;

interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface QueueWorkersSettings<Q extends string> {
  /** The consuming service: every catalogue queue named `<service>.*` must have a handler here. */
  service: string;
  connection: ConnectionOptions;
  prefix: string;
  log: Logger;
  /** Per-queue options (concurrency, backoff strategy); the default is BullMQ's. */
  options?: Partial<Record<Q, Partial<WorkerOptions>>>;
  /** The consumer's record of the events it has handled: an event handled before is skipped. */
  inbox?: Inbox;
  /** Where the running jobs are kept, so that a stop can hand back those that do not finish. */
  active?: ActiveJobs;
}

/**
 * The jobs this process is running. A stop waits for them for a grace; those still running after
 * it are handed back: moved to their queue's wait list at once (BullMQ's moveToWait, with the
 * job's lock token), so that another worker, or this one restarted, takes them in a moment rather
 * than once their lock has expired and the stalled-job check has seen it twice (up to 12 s). Their
 * handlers are idempotent, so a job that ran partly here runs whole there.
 */
export class ActiveJobs {
  private readonly jobs = new Set<Job>();

  async run<T>(job: Job, work: () => Promise<T>): Promise<T> {
    this.jobs.add(job);
    try {
      return await work();
    } finally {
      this.jobs.delete(job);
    }
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Hands back every job still running; resolves with how many went back (a job whose lock is already lost is not counted). */
  async handBack(): Promise<number> {
    const moved = await Promise.all(
      [...this.jobs].map((job) =>
        job.token
          ? job.moveToWait(job.token).then(
              () => 1,
              () => 0,
            )
          : 0,
      ),
    );
    return moved.reduce<number>((sum, n) => sum + n, 0);
  }
}

/** The event id of an outbox job (the relay's job data); null for a job that is not an event. */
function eventIdOf(job: Job): string | null {
  const id = (job.data as { eventId?: unknown } | undefined)?.eventId;
  return typeof id === 'string' ? id : null;
}

/** The trace context an outbox job carries (the relay's job data); null for none. */
function traceContextOf(job: Job): string | null {
  const value = (job.data as { traceContext?: unknown } | undefined)?.traceContext;
  return typeof value === 'string' ? value : null;
}

/**
 * One BullMQ worker per queue, each running its handler. The handlers are a record keyed by queue
 * name, so a service's queue list without a handler is a compile error; and the catalogue's queues
 * for this service are checked at start. A failure is a warning while retries remain and an error
 * on the last attempt.
 */
export function startQueueWorkers<Q extends string>(handlers: Record<Q, (job: Job) => Promise<unknown>>, settings: QueueWorkersSettings<Q>): Worker[] {
  // The start-up check: an event routed to this service that nobody here consumes is a bug to
  // find now, not a queue that silently fills.
  const unhandled = Object.values(eventCatalogue)
    .flatMap((entry) => [...entry.queues] as string[])
    .filter((queue) => queue.startsWith(`${settings.service}.`) && !(queue in handlers));
  if (unhandled.length > 0) throw new Error(`${settings.service} worker: no handler for queue(s) ${unhandled.join(', ')}`);
  const { inbox, active } = settings;
  const handle = async (queue: Q, job: Job) => {
    const eventId = eventIdOf(job);
    if (!inbox || !eventId) return handlers[queue](job);
    if (await inbox.has(queue, eventId)) return { skipped: 'already handled (inbox)' };
    const result = await handlers[queue](job);
    // After the effects, not with them: a crash in between runs the (idempotent) handler again.
    await inbox.record(queue, eventId);
    return result;
  };
  // Each run is a span in the trace of the request that emitted the event (the job's
  // traceContext), or a trace of its own; what the handler emits in turn carries it further.
  const run = (queue: Q) => (job: Job) => {
    const started = performance.now();
    return inSpan(
      `job ${queue}`,
      { kind: SpanKind.CONSUMER, parent: contextFrom(traceContextOf(job)), attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.message.id': job.id ?? '', 'shutter.attempt': job.attemptsMade + 1 } },
      () => (active ? active.run(job, () => handle(queue, job)) : handle(queue, job)),
    ).then(
      (result) => {
        jobsProcessed.inc({ queue, status: 'completed' });
        jobDuration.observe({ queue }, (performance.now() - started) / 1000);
        return result;
      },
      (err: unknown) => {
        jobsProcessed.inc({ queue, status: 'failed' });
        jobDuration.observe({ queue }, (performance.now() - started) / 1000);
        throw err;
      },
    );
  };
  let lastErrorLogged = 0;
  return (Object.keys(handlers) as Q[]).map((queue) => {
    const worker = new Worker(queue, run(queue), {
      connection: settings.connection,
      prefix: queuePrefix(settings.prefix, queue),
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      ...settings.options?.[queue],
    });
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      settings.log[final ? 'error' : 'warn']({ err, jobId: job?.id, queue, attemptsMade: job?.attemptsMade }, final ? 'job failed' : 'job failed; will retry');
    });
    // Redis away, or a job whose record Redis lost while it ran ("Missing key"): BullMQ reports it
    // here and carries on (an 'error' event without a listener would end the process). Said once
    // per 30 s across this process's workers.
    worker.on('error', (err) => {
      if (Date.now() - lastErrorLogged < 30_000) return;
      lastErrorLogged = Date.now();
      settings.log.warn({ err, queue }, 'queue worker error (it carries on; lost jobs are re-added by the producer\'s reconciler)');
    });
    return worker;
  });
}
