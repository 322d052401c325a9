import type { Job } from 'bullmq';
import { parseEventPayload, type EventJob } from '@shutter/events';
import type { Logger } from '@shutter/service';
import { startServiceWorker, type RunningWorker } from '@shutter/service/worker';
import type { MediaConfig } from '../config.ts';
import { mediaDatabase } from '../db/index.ts';
import { purgeDeletedPosts } from '../posts.ts';
import { processUpload } from '../processing.ts';
import { createStorage } from '../storage/from-config.ts';
import type { ObjectStorage } from '../storage/index.ts';

/** media's worker: image processing (one job per upload), the purge of deleted posts, and the outbox relay. */
export function startMediaWorker(config: MediaConfig, options: { logger?: Logger; storage?: ObjectStorage } = {}): Promise<RunningWorker> {
  const database = mediaDatabase.connect(config.MEDIA_DATABASE_URL, { max: 2 + config.PROCESSING_CONCURRENCY });
  const storage = options.storage ?? createStorage(config);
  return startServiceWorker({
    name: 'media-worker',
    service: 'media',
    config,
    logger: options.logger,
    database,
    relay: true,
    setup: ({ logger }) => ({
      handlers: {
        'media.process-upload': (job: Job<EventJob>) =>
          processUpload({ db: database.db, storage, maxInputPixels: config.MAX_INPUT_PIXELS, log: logger }, parseEventPayload('upload.received', job.data.payload).uploadId),
      },
      // sharp uses its own threads: a couple of images at a time keeps two cores busy.
      queueOptions: { 'media.process-upload': { concurrency: config.PROCESSING_CONCURRENCY } },
      periodic: [{ name: 'purge deleted posts', everyMs: 60_000, run: () => purgeDeletedPosts(database.db, config.DELETED_POST_GRACE_SECONDS) }],
    }),
  });
}
