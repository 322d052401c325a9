import { startServiceWorker, type RunningWorker } from '@shutter/service/worker';
import type { Logger } from '@shutter/service';
import type { SocialGraphConfig } from '../config.ts';
import { socialGraphDatabase } from '../db/index.ts';

/** social-graph's worker: it consumes no queue, and relays its outbox (follow events) to BullMQ. */
export function startSocialGraphWorker(config: SocialGraphConfig, options: { logger?: Logger } = {}): Promise<RunningWorker> {
  return startServiceWorker({
    name: 'social-graph-worker',
    service: 'social-graph',
    config,
    logger: options.logger,
    database: socialGraphDatabase.connect(config.SOCIAL_GRAPH_DATABASE_URL, { max: 2 }),
    relay: true,
    setup: () => ({ handlers: {} }),
  });
}
