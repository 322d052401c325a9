import { readFileSync } from 'node:fs';
import { gql } from 'graphql-tag';
import { z } from 'zod';
import type { DatabaseOptions } from '@shutter/db';
import { isId } from '@shutter/db';
import { createLogger, json, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import type { SocialGraphConfig } from './config.ts';
import { createSocialGraphContext } from './context.ts';
import { createSocialGraphDatabase } from './db/client.ts';
import { followerIdsPage } from './follows.ts';
import { resolvers } from './resolvers/index.ts';
import { UsersClient } from './users-client.ts';

export const socialGraphTypeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** The internal endpoint's request: a user, a cursor from the previous page, a page size. */
const followerIdsRequest = z.object({
  userId: z.string().refine(isId, 'not an id'),
  after: z.string().nullish(),
  limit: z.number().int().min(1).max(1000).default(1000),
});

export const FOLLOWER_IDS_PATH = '/internal/follower-ids';

export async function startSocialGraphService(
  config: SocialGraphConfig,
  options: { logger?: Logger; database?: DatabaseOptions } = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger('social-graph', config.LOG_LEVEL);
  const database = createSocialGraphDatabase(config.SOCIAL_GRAPH_DATABASE_URL, options.database);
  const users = new UsersClient(config.USERS_URL, config.GATEWAY_SIGNING_SECRET);
  const server = await startSubgraphServer({
    name: 'social-graph',
    typeDefs: socialGraphTypeDefs,
    resolvers,
    logger,
    host: config.SOCIAL_GRAPH_HOST,
    port: config.SOCIAL_GRAPH_PORT,
    signingSecret: config.GATEWAY_SIGNING_SECRET,
    context: (base) => createSocialGraphContext(base, database.db, users),
    database,
    routes: {
      // Signed like every request here; the feed's fan-out pages a user's followers through it.
      [FOLLOWER_IDS_PATH]: async (request) => {
        let body: unknown;
        try {
          body = JSON.parse(request.body || '{}');
        } catch {
          return json(400, { error: 'the body is not JSON' });
        }
        const parsed = followerIdsRequest.safeParse(body);
        if (!parsed.success) return json(400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        try {
          return json(200, await followerIdsPage(database.db, parsed.data.userId, parsed.data.limit, parsed.data.after));
        } catch (e) {
          if (e instanceof Error && 'extensions' in e) return json(400, { error: e.message });
          throw e;
        }
      },
    },
  });
  return server;
}
