import { Worker, type ConnectionOptions, type Job, type WorkerOptions } from 'bullmq';
import { eventCatalogue } from './catalogue.ts';

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
  return (Object.keys(handlers) as Q[]).map((queue) => {
    const worker = new Worker(queue, (job) => handlers[queue](job), { connection: settings.connection, prefix: settings.prefix, ...settings.options?.[queue] });
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      settings.log[final ? 'error' : 'warn']({ err, jobId: job?.id, queue, attemptsMade: job?.attemptsMade }, final ? 'job failed' : 'job failed; will retry');
    });
    return worker;
  });
}
