import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { QueueName } from './catalogue.ts';

/**
 * For BullMQ and workers: no retry limit, and commands wait in the offline queue while Redis is
 * away, so a job's work goes on where it stopped once Redis is back (BullMQ requires this for its
 * blocking connections).
 */
export function createRedisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** Options every queue shares: the prefix isolates an installation (and each test file). */
export interface QueueSettings {
  connection: ConnectionOptions;
  prefix: string;
}

/** Retries with backoff; completed jobs are trimmed, but kept long enough to de-duplicate re-sends. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export function createQueue(name: QueueName | string, settings: QueueSettings): Queue {
  return new Queue(name, { connection: settings.connection, prefix: settings.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
}
