import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import { baseFields, ConfigError, DEFAULT_PORTS, envPrefix, listenFields, loadConfig, z } from '@shutter/config';

const WINDOW_UNITS = { s: 1, m: 60, h: 3600 } as const;

/** A rate-limit bucket: `<points>/<window>`, the window in seconds or with s, m or h (`10/5m`); `off` for none. */
const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      if (value.trim().toLowerCase() === 'off') return null;
      const match = /^\s*(\d+)\s*\/\s*(\d+)\s*([smh]?)\s*$/.exec(value);
      const points = Number(match?.[1]);
      const seconds = Number(match?.[2]) * WINDOW_UNITS[(match?.[3] || 's') as keyof typeof WINDOW_UNITS];
      if (!match || points < 1 || seconds < 1) {
        ctx.addIssue({ code: 'custom', message: 'must be <points>/<window> (e.g. 10/5m, 600/60) or off' });
        return z.NEVER;
      }
      return { points, seconds };
    });

/** Addresses and CIDR blocks, comma-separated. */
const addressList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
    .refine(
      (entries) =>
        entries.every((entry) => {
          const [address = '', prefix] = entry.split('/');
          const family = isIP(address);
          return family !== 0 && (prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
        }),
      { message: 'must be IP addresses or CIDR blocks, comma-separated (e.g. 127.0.0.1/8, ::1, 10.0.0.0/8)' },
    );

export const gatewayConfigSchema = z.object({
  ...baseFields,
  ...listenFields('GATEWAY', DEFAULT_PORTS.gateway),
  SUPERGRAPH_PATH: z.string().default(fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url))),
  ACCESS_TOKEN_PUBLIC_KEY: z
    .string()
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => value.includes('-----BEGIN PUBLIC KEY-----'), { message: 'must be a PEM "PUBLIC KEY"' }),
  SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(10),
  CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(10),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(1000).default(15_000),
  WS_MAX_PENDING_EVENTS: z.coerce.number().int().min(1).default(100),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  // The longest string argument or variable (UTF-16 units): above every field's own limit (a caption
  // is 2,200 characters), so that only what no field would take is refused at the door.
  MAX_INPUT_STRING_LENGTH: z.coerce.number().int().min(1).default(10_000),
  // Rate limits (see README, "Rate limits"): kept in Redis under QUEUE_PREFIX, shared by every gateway process.
  RATE_LIMIT_IP: rateLimit('600/1m'),
  RATE_LIMIT_USER: rateLimit('300/1m'),
  RATE_LIMIT_LOG_IN: rateLimit('30/5m'),
  RATE_LIMIT_LOG_IN_ACCOUNT: rateLimit('10/15m'),
  RATE_LIMIT_SIGN_UP: rateLimit('10/1h'),
  RATE_LIMIT_REFRESH_SESSION: rateLimit('30/5m'),
  RATE_LIMIT_CREATE_UPLOAD: rateLimit('60/1h'),
  RATE_LIMIT_WS_CONNECT: rateLimit('30/1m'),
  // A rate-limit check waits this long for Redis, then counts in this process alone.
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce.number().int().min(10).default(250),
  // Proxies whose X-Forwarded-For is believed (the web server, an Ingress): the client is the
  // first address from the right that is not one of them.
  TRUSTED_PROXIES: addressList('127.0.0.0/8, ::1'),
  // Trusted documents: only the operations of the web client's persisted-documents manifest run.
  GATEWAY_SAFELIST: z
    .enum(['0', '1', 'true', 'false', 'on', 'off', ''])
    .default('0')
    .transform((value) => ['1', 'true', 'on'].includes(value)),
  GATEWAY_SAFELIST_MANIFEST: z.string().default(fileURLToPath(new URL('../../web/src/gql/persisted-documents.json', import.meta.url))),
  // Size of the query-plan cache: planning costs ~1 ms, a cached plan < 1 µs; keep every operation's.
  QUERY_PLAN_CACHE_MIB: z.coerce.number().int().min(1).default(64),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema> & {
  /** The `*_URL` variables given, read by subgraphUrls once the supergraph says which subgraphs there are. */
  urlVariables: Record<string, string | undefined>;
};

export const loadGatewayConfig = (source: Record<string, string | undefined> = process.env): GatewayConfig => ({
  ...loadConfig('gateway', gatewayConfigSchema, source),
  urlVariables: Object.fromEntries(Object.entries(source).filter(([name]) => name.endsWith('_URL'))),
});

/**
 * Where each subgraph is: `<NAME>_URL` for the subgraph NAME of the supergraph (MY_SUBGRAPH_URL for
 * `my-subgraph`), else the URL the supergraph was composed with (the local defaults). Read for
 * whatever subgraphs the supergraph has, so the gateway's config names none; every bad value is
 * reported at once, as loadConfig does.
 */
export function subgraphUrls(subgraphs: { name: string; url: string }[], source: Record<string, string | undefined>): Map<string, string> {
  const urls = new Map<string, string>();
  const problems: string[] = [];
  for (const { name, url } of subgraphs) {
    const key = `${envPrefix(name)}_URL`;
    const given = source[key];
    if (given === undefined || given === '') urls.set(name, url);
    else if (!URL.canParse(given) || !/^https?:$/.test(new URL(given).protocol)) problems.push(`${key}: must be an http(s) URL`);
    else urls.set(name, given);
  }
  if (problems.length > 0) throw new ConfigError('gateway', problems);
  return urls;
}
