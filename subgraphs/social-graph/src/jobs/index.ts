import { createRedisConnection, startOutboxRelay, type OutboxRelay } from '@shutter/events';
import { createLogger, type Logger } from '@shutter/service';
import type { SocialGraphConfig } from '../config.ts';
import { createSocialGraphDatabase } from '../db/client.ts';

/** social-graph's worker: it consumes no queue, and relays its outbox (follow events) to BullMQ. */
export async function startSocialGraphWorker(config: SocialGraphConfig, options: { logger?: Logger } = {}) {
  const logger = options.logger ?? createLogger('social-graph-worker', config.LOG_LEVEL);
  const database = createSocialGraphDatabase(config.SOCIAL_GRAPH_DATABASE_URL, { max: 2 });
  const connection = createRedisConnection(config.REDIS_URL);
  const relay: OutboxRelay = await startOutboxRelay({
    sql: database.sql,
    queues: { connection, prefix: config.QUEUE_PREFIX },
    log: logger,
  });
  logger.info('social-graph worker: outbox relay running');
  return {
    relay,
    close: async () => {
      await relay.stop();
      await connection.quit();
      await database.close();
    },
  };
}
