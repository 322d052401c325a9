import { env, loadConfig, z } from '@shutter/config';

export const socialGraphConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  SOCIAL_GRAPH_HOST: z.string().default('127.0.0.1'),
  SOCIAL_GRAPH_PORT: env.port(4003),
  SOCIAL_GRAPH_DATABASE_URL: env.postgresUrl(),
  GATEWAY_SIGNING_SECRET: env.secret(32),
  // Asked whether a user exists before an edge to them is made.
  USERS_URL: env.url().default('http://127.0.0.1:4001/graphql'),
  REDIS_URL: env.redisUrl(),
  QUEUE_PREFIX: z.string().min(1).default('shutter'),
});

export type SocialGraphConfig = z.infer<typeof socialGraphConfigSchema>;

export const loadSocialGraphConfig = (source: Record<string, string | undefined> = process.env) =>
  loadConfig('social-graph', socialGraphConfigSchema, source);
