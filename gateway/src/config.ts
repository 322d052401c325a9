import { fileURLToPath } from 'node:url';
import { baseFields, ConfigError, DEFAULT_PORTS, envPrefix, listenFields, loadConfig, z } from '@shutter/config';

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
