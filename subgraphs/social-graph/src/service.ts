import { readFileSync } from 'node:fs';
import { gql } from 'graphql-tag';
import { z } from 'zod';
import type { DatabaseOptions } from '@shutter/db';
import { isId } from '@shutter/db';
import { createLogger, json, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import type { SocialGraphConfig } from './config.ts';
import { createSocialGraphContext } from './context.ts';
import { createSocialGraphDatabase } from './db/client.ts';
import { INTERNAL_PATHS } from './client.ts';
import { followedAmong, followIdsPage } from './follows.ts';
import { resolvers } from './resolvers/index.ts';
import { UsersClient } from './users-client.ts';

export const socialGraphTypeDefs = gql(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

const userId = z.string().refine(isId, 'not an id');
/** A page of a user's followers or followees: a cursor from the previous page, a page size. */
const idsPageRequest = z.object({ userId, after: z.string().nullish(), limit: z.number().int().min(1).max(1000).default(1000) });
const followedAmongRequest = z.object({ followerId: userId, followeeIds: z.array(z.string()).max(1000) });

export const FOLLOWER_IDS_PATH = INTERNAL_PATHS.followerIds;

/** A JSON-in, JSON-out route whose body is checked by `schema`; a bad body is a 400 that says why. */
function jsonRoute<T>(schema: z.ZodType<T>, handle: (body: T) => Promise<unknown>) {
  return async (request: { body: string }) => {
    let body: unknown;
    try {
      body = JSON.parse(request.body || '{}');
    } catch {
      return json(400, { error: 'the body is not JSON' });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) return json(400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    try {
      return json(200, await handle(parsed.data));
    } catch (e) {
      if (e instanceof Error && 'extensions' in e) return json(400, { error: e.message });
      throw e;
    }
  };
}

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
      // The feed's fan-out pages an author's followers; its rebuild pages a reader's followees.
      [INTERNAL_PATHS.followerIds]: jsonRoute(idsPageRequest, (b) => followIdsPage(database.db, 'followers', b.userId, b.limit, b.after)),
      [INTERNAL_PATHS.followeeIds]: jsonRoute(idsPageRequest, (b) => followIdsPage(database.db, 'following', b.userId, b.limit, b.after)),
      // The feed checks an edge before it backfills or purges a timeline (events may arrive out of order).
      [INTERNAL_PATHS.followedAmong]: jsonRoute(followedAmongRequest, async (b) => ({
        ids: await followedAmong(database.db, b.followerId, b.followeeIds),
      })),
    },
  });
  return server;
}
