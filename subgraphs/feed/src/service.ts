import { readFileSync } from 'node:fs';
import { gql } from 'graphql-tag';
import type { DatabaseOptions } from '@shutter/db';
import { createRedisConnection } from '@shutter/events';
import { createLogger, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import type { FeedConfig } from './config.ts';
import { createFeedContext } from './context.ts';
import { createFeedDatabase } from './db/client.ts';
import { createFeedDeps } from './deps.ts';
import { resolvers } from './resolvers/index.ts';

export const feedTypeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

export async function startFeedService(
  config: FeedConfig,
  options: { logger?: Logger; database?: DatabaseOptions } = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger('feed', config.LOG_LEVEL);
  const database = createFeedDatabase(config.FEED_DATABASE_URL, options.database);
  const redis = createRedisConnection(config.REDIS_URL);
  const deps = createFeedDeps(config, database.db, redis);
  const server = await startSubgraphServer({
    name: 'feed',
    typeDefs: feedTypeDefs,
    resolvers,
    logger,
    host: config.FEED_HOST,
    port: config.FEED_PORT,
    signingSecret: config.GATEWAY_SIGNING_SECRET,
    context: (base) => createFeedContext(base, deps),
    database,
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      await redis.quit();
    },
  };
}
