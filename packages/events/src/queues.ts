import { Queue, type ConnectionOptions } from 'bullmq';
import type { QueueName } from './catalogue.ts';

/** Options every queue shares: the prefix isolates an installation (and each test file). */
export interface QueueSettings {
  connection: ConnectionOptions;
  /** The installation's prefix (QUEUE_PREFIX); each queue's BullMQ prefix is queuePrefix() of it. */
  prefix: string;
}

/**
 * The BullMQ prefix of one queue: the installation's prefix, then the queue's name as a hash tag,
 * `<prefix>:{<queue>}` (keys `<prefix>:{<queue>}:<queue>:wait`, ...). BullMQ's scripts take several
 * keys of a queue at once, which a Redis Cluster allows only within one hash slot; the tag puts a
 * queue's keys in one slot, and different queues in different slots (spread over the masters). The
 * same on a single server, so that there is one layout. Every Queue, Worker and QueueEvents uses it.
 */
export const queuePrefix = (prefix: string, queue: string): string => `${prefix}:{${queue}}`;

/** Retries with backoff; completed jobs are trimmed, but kept long enough to de-duplicate re-sends. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export function createQueue(name: QueueName | string, settings: QueueSettings): Queue {
  return new Queue(name, { connection: settings.connection, prefix: queuePrefix(settings.prefix, name), defaultJobOptions: DEFAULT_JOB_OPTIONS });
}
