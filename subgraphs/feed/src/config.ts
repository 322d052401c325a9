import { env, loadConfig, z } from '@shutter/config';

export const feedConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  FEED_HOST: z.string().default('127.0.0.1'),
  FEED_PORT: env.port(4004),
  FEED_DATABASE_URL: env.postgresUrl(),
  GATEWAY_SIGNING_SECRET: env.secret(32),
  // social-graph: followers for the fan-out, followees for a rebuild (its internal endpoints).
  SOCIAL_GRAPH_URL: env.url().default('http://127.0.0.1:4003/graphql'),
  // media: which posts are still there, so a deleted post never shows before its purge job runs.
  MEDIA_URL: env.url().default('http://127.0.0.1:4002/graphql'),
  REDIS_URL: env.redisUrl(),
  // Prefixes BullMQ queues and the feed's own Redis keys and channels: one installation per prefix.
  QUEUE_PREFIX: z.string().min(1).default('shutter'),
  // Authors with more followers than this are not fanned out: their posts are merged in at read.
  CELEBRITY_FOLLOWER_THRESHOLD: z.coerce.number().int().min(0).default(10_000),
  TIMELINE_MAX_POSTS: z.coerce.number().int().min(20).default(800),
  // A timeline nobody read for this long expires; the next read rebuilds it from Postgres.
  TIMELINE_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  FANOUT_CONCURRENCY: z.coerce.number().int().min(1).default(4),
});

export type FeedConfig = z.infer<typeof feedConfigSchema>;

export const loadFeedConfig = (source: Record<string, string | undefined> = process.env) => loadConfig('feed', feedConfigSchema, source);
