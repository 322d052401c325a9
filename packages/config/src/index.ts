import { readFileSync } from 'node:fs';
import { z } from 'zod';

export { z };

/** Thrown when the environment does not satisfy a service's schema; lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `${service}: the configuration is not valid:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet these environment variables (see README.md, "Configuration"), or run `npm start`, which sets them all.',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once, at start-up. Every problem is reported together,
 * so that one failed start tells the operator everything that must change.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const env = withFileValues(schema, source);
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const given = env[name];
    return given === undefined ? `${name}: ${issue.message} (not set)` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
}

/**
 * `NAME_FILE=/path` stands for `NAME=<the file's content>` (Docker and Kubernetes secrets), for any
 * NAME of the schema that is not set directly.
 */
function withFileValues(schema: z.ZodObject, source: Record<string, string | undefined>): Record<string, string | undefined> {
  const env = { ...source };
  for (const name of Object.keys(schema.shape)) {
    const file = source[`${name}_FILE`];
    if (env[name] === undefined && file) {
      try {
        env[name] = readFileSync(file, 'utf8').trim();
      } catch {
        // Left unset: the schema then reports NAME as missing, beside every other problem.
      }
    }
  }
  return env;
}

/** Where the installation's Redis is: one server, or a Redis Cluster given by some of its nodes. */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

/**
 * REDIS_URL's two forms: `redis://` / `rediss://` (one server, as ioredis reads it), or
 * `redis-cluster://[user:password@]host:port,host:port,...` (`rediss-cluster://` with TLS): a
 * Redis Cluster, found from any of the nodes listed (the client learns the rest from them). Null
 * when it is neither.
 */
export function parseRedisUrl(url: string): RedisTarget | null {
  if (/^rediss?:\/\/\S*$/.test(url)) return { kind: 'server', url };
  const cluster = /^(rediss?)-cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^@/]+?)\/?$/.exec(url);
  if (!cluster) return null;
  const nodes = cluster[4]!.split(',').map((node) => /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(node.trim()));
  if (nodes.some((node) => !node || Number(node[2]) > 65535)) return null;
  const decode = (part: string | undefined) => (part ? decodeURIComponent(part) : undefined);
  return {
    kind: 'cluster',
    nodes: nodes.map((node) => ({ host: node![1]!.replace(/^\[|\]$/g, ''), port: Number(node![2]) })),
    username: decode(cluster[2]),
    password: decode(cluster[3]),
    tls: cluster[1] === 'rediss',
  };
}

/** Common env fields. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.url({ message: 'must be a URL' }),
  postgresUrl: () =>
    z.string().regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' }),
  redisUrl: () =>
    z
      .string()
      .refine((url) => parseRedisUrl(url) !== null, { message: 'must be a redis:// URL, or redis-cluster://host:port,host:port for a Redis Cluster' })
      .default('redis://127.0.0.1:6379'),
  secret: (minLength = 32) => z.string().min(minLength, { message: `must be at least ${minLength} characters` }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  nodeEnv: () => z.enum(['development', 'production', 'test']).default('development'),
};

/** Each process's default port, in one place: the configs, `npm start` and the supergraph's URLs read it. */
export const DEFAULT_PORTS = {
  web: 3000,
  gateway: 4000,
  users: 4001,
  media: 4002,
  'social-graph': 4003,
  feed: 4004,
} as const;
export type ServiceName = Exclude<keyof typeof DEFAULT_PORTS, 'web' | 'gateway'>;

/** A subgraph's URL on this machine with its default port: the supergraph's, and callers' defaults. */
export const defaultSubgraphUrl = (name: ServiceName) => `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`;

/** The env prefix of a service: `social-graph` → `SOCIAL_GRAPH` (its `_PORT`, `_URL`, `_DATABASE_URL`). */
export const envPrefix = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** What every service reads: its mode and log level, the request-signing secret, and the installation's Redis. */
export const baseFields = {
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  GATEWAY_SIGNING_SECRET: env.secret(32),
  REDIS_URL: env.redisUrl(),
  // Prefixes BullMQ queues and every Redis key and channel: one installation (or test) per prefix.
  QUEUE_PREFIX: z.string().min(1).default('shutter'),
};

/** Where a process listens: `<PREFIX>_HOST` and `<PREFIX>_PORT`, with its default port. */
export function listenFields<P extends string>(prefix: P, port: number) {
  return {
    [`${prefix}_HOST`]: z.string().default('127.0.0.1'),
    [`${prefix}_PORT`]: env.port(port),
  } as { [K in `${P}_HOST`]: z.ZodDefault<z.ZodString> } & { [K in `${P}_PORT`]: ReturnType<typeof env.port> };
}

/**
 * Tracing, read by every process (packages/telemetry): the standard OpenTelemetry variables.
 * No endpoint, no tracing (and no cost beyond a no-op call).
 */
export const telemetryFields = {
  // An OTLP/HTTP collector's base URL (http://otel-collector:4318): spans go to <it>/v1/traces.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((value) => (value === '' ? undefined : value), z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional()),
  // The service.name of this process's spans; by default the process's own (gateway, feed-worker).
  OTEL_SERVICE_NAME: z.preprocess((value) => (value === '' ? undefined : value), z.string().min(1).optional()),
};
