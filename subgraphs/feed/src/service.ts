import { liveChannelsEndpoint } from '@shutter/contracts';
import type { DatabaseOptions } from '@shutter/db';
import { createLogger, createRequestRedisConnection, endpointRoute, redisDependency, serviceDependency, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import type { FeedConfig } from './config.ts';
import { createFeedContext } from './context.ts';
import { feedDatabase } from './db/index.ts';
import { createFeedDeps } from './deps.ts';
import { liveChannelsFor } from './live-channels.ts';
import { schemaFile } from './paths.ts';
import { resolvers } from './resolvers/index.ts';

export async function startFeedService(
  config: FeedConfig,
  options: { logger?: Logger; database?: DatabaseOptions } = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger('feed', config.LOG_LEVEL);
  const database = feedDatabase.connect(config.FEED_DATABASE_URL, options.database);
  // Reads fail fast when Redis is away, and the feed answers from Postgres meanwhile.
  const redis = createRequestRedisConnection(config.REDIS_URL, logger);
  const deps = createFeedDeps(config, database.db, redis);
  const server = await startSubgraphServer({
    name: 'feed',
    schemaFile,
    resolvers,
    logger,
    host: config.FEED_HOST,
    port: config.FEED_PORT,
    signingSecret: config.GATEWAY_SIGNING_SECRET,
    context: (base) => createFeedContext(base, deps),
    database,
    // Neither is required: without Redis the feed answers from Postgres; without social-graph
    // it answers every reader whose timeline exists.
    dependencies: [redisDependency(redis, false), serviceDependency('social-graph', config.SOCIAL_GRAPH_URL)],
    // The gateway asks which channels a subscription to feedPostAdded or notificationAdded listens on.
    endpoints: [endpointRoute(liveChannelsEndpoint, (body, { viewerId, requestId }) => liveChannelsFor(deps, body.field, viewerId, requestId))],
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
