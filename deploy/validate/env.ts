/**
 * The environment a container gives a process, checked against the configuration schema that
 * process validates at start (the same zod schemas, imported from each service's src/config.ts):
 * every required variable is given, directly or as NAME_FILE; every value given directly parses;
 * and no variable is given that the process does not read (a typo there is a setting silently
 * ignored). Used by the compose and the Kubernetes checks alike.
 */
import { existsSync } from 'node:fs';
import { env, telemetryFields, z } from '@shutter/config';
import { workerHealthSchema } from '../../packages/service/src/worker-health.ts';
import { feedConfigSchema } from '../../subgraphs/feed/src/config.ts';
import { mediaConfigSchema } from '../../subgraphs/media/src/config.ts';
import { socialGraphConfigSchema } from '../../subgraphs/social-graph/src/config.ts';
import { usersConfigSchema } from '../../subgraphs/users/src/config.ts';
import { gatewayConfigSchema } from '../../gateway/src/config.ts';

export const SUBGRAPHS = ['users', 'media', 'social-graph', 'feed'] as const;
const envName = (service: string) => service.toUpperCase().replace(/-/g, '_');

type Schema = z.ZodType<unknown, Record<string, string | undefined>>;
const SUBGRAPH_SCHEMAS: Record<(typeof SUBGRAPHS)[number], z.ZodObject | z.ZodPipe> = {
  users: usersConfigSchema,
  media: mediaConfigSchema,
  'social-graph': socialGraphConfigSchema,
  feed: feedConfigSchema,
};

/** Variables every Node process may be given that no schema lists: Node's own. */
const NODE_VARIABLES = new Set(['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'UV_THREADPOOL_SIZE', 'TZ']);

export interface ProcessSpec {
  /** What it is, for messages: "users server", "gateway", "web", "migrations". */
  what: string;
  schema: Schema;
  /** The names the schema reads. */
  names: Set<string>;
  /** Names read outside the schema (the gateway's <SUBGRAPH>_URL). */
  alsoReads?: (name: string) => boolean;
}

function keysOf(schema: z.ZodType): string[] {
  // A schema with a .refine() is a pipe (zod 4) around the object: its shape is the input's.
  const inner = schema instanceof z.ZodPipe ? (schema.in as z.ZodType) : schema;
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape);
  throw new Error('a configuration schema that is not an object');
}

function spec(what: string, schema: z.ZodType, alsoReads?: (name: string) => boolean): ProcessSpec {
  return { what, schema: schema as Schema, names: new Set(keysOf(schema)), ...(alsoReads ? { alsoReads } : {}) };
}

const objectOf = (schema: z.ZodObject | z.ZodPipe) => (schema instanceof z.ZodPipe ? (schema.in as z.ZodObject) : schema);
/** Every server and worker also reads the OpenTelemetry variables (packages/telemetry, at start). */
const withTelemetry = (schema: z.ZodObject | z.ZodPipe) => objectOf(schema).extend(telemetryFields);
const withWorkerHealth = (schema: z.ZodObject | z.ZodPipe) => withTelemetry(schema).extend(workerHealthSchema.shape);

/** The web server's schema, when the web workspace is in this tree (it is built on its own branch). */
async function webSpec(): Promise<ProcessSpec | null> {
  const path = new URL('../../web/server/config.ts', import.meta.url);
  if (!existsSync(path)) return null;
  const module = (await import(path.href)) as { webConfigSchema: z.ZodObject };
  return spec('web', module.webConfigSchema);
}

/**
 * Which process a container's command runs, from the entry it names:
 * node subgraphs/<name>/dist/{server,worker}.js, node gateway/dist/server.js, node web/server/main.js,
 * or the migrations (any command running subgraphs' dist/migrate.js).
 */
export async function processOf(command: string[]): Promise<ProcessSpec | 'no-env' | null> {
  const line = command.join(' ');
  if (line.includes('make-secrets')) return 'no-env';
  if (line.includes('/dist/migrate.js')) {
    // Each subgraph the command names (`for s in users media ...; do node subgraphs/$s/dist/migrate.js`).
    const named = SUBGRAPHS.filter((s) => new RegExp(`(^|[\\s/])${s}([\\s/;]|$)`).test(line));
    const shape = Object.fromEntries(named.map((s) => [`${envName(s)}_DATABASE_URL`, env.postgresUrl()]));
    return spec('migrations', z.object(shape));
  }
  const match = line.match(/subgraphs\/([a-z-]+)\/dist\/(server|worker)\.js/);
  if (match) {
    const service = match[1] as (typeof SUBGRAPHS)[number];
    const schema = SUBGRAPH_SCHEMAS[service];
    if (!schema) return null;
    return match[2] === 'worker' ? spec(`${service} worker`, withWorkerHealth(schema)) : spec(`${service} server`, withTelemetry(schema));
  }
  if (/gateway\/dist\/server\.js/.test(line)) {
    // The gateway reads <NAME>_URL for every subgraph NAME of the supergraph.
    const urls = new Set(SUBGRAPHS.map((s) => `${envName(s)}_URL`));
    return spec('gateway', withTelemetry(gatewayConfigSchema), (name) => urls.has(name));
  }
  if (/web\/server\/main\.js/.test(line)) return webSpec();
  return null;
}

export interface GivenEnv {
  /** Values given as they are (compose environment, a ConfigMap's data, a literal `value:`). */
  values: Record<string, string>;
  /** Names given whose values are secret or made at run time (a Secret key, a *_FILE's file): present, not checked. */
  opaque: Set<string>;
}

/** Problems with `given` for `process`, each a sentence. */
export function checkEnv(process: ProcessSpec, given: GivenEnv): string[] {
  const problems: string[] = [];
  const provided = new Set([...Object.keys(given.values), ...given.opaque]);
  for (const name of provided) {
    const base = name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : null;
    if (process.names.has(name) || (base && process.names.has(base)) || NODE_VARIABLES.has(name) || process.alsoReads?.(name)) continue;
    problems.push(`${process.what}: ${name} is given but never read`);
  }
  // What the process will see: the direct values, and for NAME_FILE (or a secret NAME) a value the
  // schema cannot know here; an issue about such a name is not a problem of this file.
  const fromElsewhere = new Set<string>();
  for (const name of provided) {
    if (given.opaque.has(name) && !name.endsWith('_FILE')) fromElsewhere.add(name);
    if (name.endsWith('_FILE')) fromElsewhere.add(name.slice(0, -'_FILE'.length));
  }
  const result = process.schema.safeParse(given.values);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? '');
      if (fromElsewhere.has(name)) continue;
      problems.push(`${process.what}: ${name || '(environment)'}: ${issue.message}${name in given.values ? '' : ' (not given)'}`);
    }
  }
  return problems;
}
