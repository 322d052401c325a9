import { baseFields, defaultSubgraphUrl, DEFAULT_PORTS, env, listenFields, loadConfig, z } from '@shutter/config';

export const feedConfigSchema = z.object({
  ...baseFields,
  ...listenFields('FEED', DEFAULT_PORTS.feed),
  FEED_DATABASE_URL: env.postgresUrl(),
  // social-graph: followers for the fan-out, followees for a rebuild (its internal endpoints).
  SOCIAL_GRAPH_URL: env.url().default(defaultSubgraphUrl('social-graph')),
  // Authors with more followers than this are not fanned out: their posts are merged in at read.
  CELEBRITY_FOLLOWER_THRESHOLD: z.coerce.number().int().min(0).default(10_000),
  TIMELINE_MAX_POSTS: z.coerce.number().int().min(20).default(800),
  // A timeline nobody read for this long expires; the next read rebuilds it from Postgres.
  TIMELINE_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  FANOUT_CONCURRENCY: z.coerce.number().int().min(1).default(4),
});

export type FeedConfig = z.infer<typeof feedConfigSchema>;

export const loadFeedConfig = (source: Record<string, string | undefined> = process.env) => loadConfig('feed', feedConfigSchema, source);
