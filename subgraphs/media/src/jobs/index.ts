import type { Job } from 'bullmq';
import { createRedisConnection, parseEventPayload, startOutboxRelay, startQueueWorkers, type EventJob } from '@shutter/events';
import { createLogger, type Logger } from '@shutter/service';
import type { MediaConfig } from '../config.ts';
import { createMediaDatabase } from '../db/client.ts';
import { processUpload } from '../processing.ts';
import { createStorage } from '../storage/from-config.ts';
import type { ObjectStorage } from '../storage/index.ts';

/** Every queue this worker consumes, with its handler: checked at start (no job without a handler). */
export const MEDIA_QUEUES = ['media.process-upload'] as const;

/** media's worker: image processing (one job per upload), and the outbox relay. */
export async function startMediaWorker(config: MediaConfig, options: { logger?: Logger; storage?: ObjectStorage } = {}) {
  const logger = options.logger ?? createLogger('media-worker', config.LOG_LEVEL);
  const database = createMediaDatabase(config.MEDIA_DATABASE_URL, { max: 2 + config.PROCESSING_CONCURRENCY });
  const storage = options.storage ?? createStorage(config);
  const connection = createRedisConnection(config.REDIS_URL);
  const handlers: Record<(typeof MEDIA_QUEUES)[number], (job: Job<EventJob>) => Promise<unknown>> = {
    'media.process-upload': (job) =>
      processUpload({ db: database.db, storage, maxInputPixels: config.MAX_INPUT_PIXELS, log: logger }, parseEventPayload('upload.received', job.data.payload).uploadId),
  };
  const workers = startQueueWorkers(handlers, {
    service: 'media',
    connection,
    prefix: config.QUEUE_PREFIX,
    log: logger,
    // sharp uses its own threads: a couple of images at a time keeps two cores busy.
    options: { 'media.process-upload': { concurrency: config.PROCESSING_CONCURRENCY } },
  });
  const relay = await startOutboxRelay({ sql: database.sql, queues: { connection, prefix: config.QUEUE_PREFIX }, log: logger });
  logger.info({ queues: MEDIA_QUEUES }, 'media worker running');
  return {
    relay,
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await relay.stop();
      await connection.quit();
      await database.close();
    },
  };
}
