import { fileURLToPath } from 'node:url';
import { env, loadConfig, z } from '@shutter/config';

const optionalUrl = () => env.url().optional();

export const gatewayConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: env.port(4000),
  SUPERGRAPH_PATH: z.string().default(fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url))),
  GATEWAY_SIGNING_SECRET: env.secret(32),
  ACCESS_TOKEN_PUBLIC_KEY: z
    .string()
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => value.includes('-----BEGIN PUBLIC KEY-----'), { message: 'must be a PEM "PUBLIC KEY"' }),
  // Where each subgraph is; the supergraph's own URLs (local defaults) are used for any not set.
  USERS_URL: optionalUrl(),
  MEDIA_URL: optionalUrl(),
  SOCIAL_GRAPH_URL: optionalUrl(),
  FEED_URL: optionalUrl(),
  // Live updates: the Redis the feed publishes on, under the installation's prefix.
  REDIS_URL: env.redisUrl(),
  QUEUE_PREFIX: z.string().min(1).default('shutter'),
  SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(10),
  CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(10),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(1000).default(15_000),
  WS_MAX_PENDING_EVENTS: z.coerce.number().int().min(1).default(100),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  // Size of the query-plan cache: planning costs ~1 ms, a cached plan < 1 µs; keep every operation's.
  QUERY_PLAN_CACHE_MIB: z.coerce.number().int().min(1).default(64),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export const loadGatewayConfig = (source: Record<string, string | undefined> = process.env) =>
  loadConfig('gateway', gatewayConfigSchema, source);

/** The env setting that overrides a subgraph's URL, by the subgraph's name in the supergraph. */
export function subgraphUrlOverride(config: GatewayConfig, name: string): string | undefined {
  const key = `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL` as keyof GatewayConfig;
  const value = config[key];
  return typeof value === 'string' ? value : undefined;
}
