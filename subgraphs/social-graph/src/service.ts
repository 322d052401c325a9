import { followedAmongEndpoint, followeeIdsEndpoint, followerIdsEndpoint, UsersClient } from '@shutter/contracts';
import type { DatabaseOptions } from '@shutter/db';
import { createLogger, endpointRoute, serviceDependency, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import type { SocialGraphConfig } from './config.ts';
import { createSocialGraphContext } from './context.ts';
import { socialGraphDatabase } from './db/index.ts';
import { followedAmong, followIdsPage } from './follows.ts';
import { schemaFile } from './paths.ts';
import { resolvers } from './resolvers/index.ts';

export async function startSocialGraphService(
  config: SocialGraphConfig,
  options: { logger?: Logger; database?: DatabaseOptions } = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger('social-graph', config.LOG_LEVEL);
  const database = socialGraphDatabase.connect(config.SOCIAL_GRAPH_DATABASE_URL, options.database);
  const users = new UsersClient({ name: 'users', url: config.USERS_URL, signingSecret: config.GATEWAY_SIGNING_SECRET });
  return startSubgraphServer({
    name: 'social-graph',
    schemaFile,
    resolvers,
    logger,
    host: config.SOCIAL_GRAPH_HOST,
    port: config.SOCIAL_GRAPH_PORT,
    signingSecret: config.GATEWAY_SIGNING_SECRET,
    context: (base) => createSocialGraphContext(base, database.db, users),
    database,
    // Asked before an edge is made; without it follows fail, everything else answers.
    dependencies: [serviceDependency('users', config.USERS_URL)],
    endpoints: [
      // The feed's fan-out pages an author's followers; its rebuild pages a reader's followees.
      endpointRoute(followerIdsEndpoint, (b) => followIdsPage(database.db, 'followers', b.userId, b.limit, b.after)),
      endpointRoute(followeeIdsEndpoint, (b) => followIdsPage(database.db, 'following', b.userId, b.limit, b.after)),
      // The feed checks an edge before it backfills or purges a timeline (events may arrive out of order).
      endpointRoute(followedAmongEndpoint, async (b) => ({ ids: await followedAmong(database.db, b.followerId, b.followeeIds) })),
    ],
  });
}
