/**
 * docker-compose.yml, checked without Docker (`docker compose config` needs the compose plugin and
 * an engine; neither is here):
 *   1. parsed as Compose does: YAML merge keys resolved, ${VAR:-default} / ${VAR} / $$ interpolated
 *      with the defaults (an empty environment, as on a fresh machine);
 *   2. the result against the compose-spec JSON schema (the copy dclint ships), every error at once;
 *   3. what a schema cannot say: depends_on names existing services, in no cycle; service_healthy
 *      waits only on services with a healthcheck and service_completed_successfully only on jobs
 *      that are not restarted; named volumes are declared; exactly one service publishes a port,
 *      and it is the web origin; each *_FILE is under a volume mounted in that service; and each
 *      product process gets the environment its own config schema requires (deploy/validate/env.ts).
 *   npx tsx deploy/validate/compose.ts [docker-compose.yml]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { checkEnv, processOf } from './env.ts';

const file = resolve(process.argv[2] ?? 'docker-compose.yml');
const require = createRequire(import.meta.url);
const started = performance.now();

/** Compose's interpolation, for the forms this file may use; an unknown form is an error, not a guess. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (all, _m, braced, op, word, bare) => {
    if (all === '$$') return '$';
    const name = braced ?? bare;
    const value = vars[name];
    if (op === ':-') return value ? value : word;
    if (op === '-') return value ?? word;
    if (op === ':?' || op === '?') {
      if (value === undefined || (op === ':?' && value === '')) throw new Error(`\${${name}} is required: ${word}`);
      return value;
    }
    return value ?? '';
  });
}

/** Interpolates every string of the parsed document (Compose interpolates values, not keys). */
function walk(node: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => walk(n, vars));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, vars)]));
  return node;
}

interface Service {
  image?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  ports?: unknown[];
}

const problems: string[] = [];
const document = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const compose = walk(document, {}) as typeof document;

// 2. The schema.
const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const schema = JSON.parse(readFileSync(join(dirname(require.resolve('dclint')), '..', 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
// It names draft 7 by an https URL that Ajv does not know as its draft-07 meta-schema (which it is).
delete schema.$schema;
const validate = ajv.compile(schema);
if (!validate(compose)) for (const e of validate.errors ?? []) problems.push(`schema: ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);

// 3. What the schema cannot say.
const services = compose.services ?? {};
const names = Object.keys(services);
const dependsOn = (s: Service): Record<string, string> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((n) => [n, 'service_started'])) : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([n, d]) => [n, d.condition]));
const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((line) => [line.split('=')[0] ?? '', line.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
const mountsOf = (s: Service) =>
  (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target, named: v.type === 'volume' };
    const [source = '', target = ''] = v.split(':');
    return { source, target, named: !source.startsWith('.') && !source.startsWith('/') };
  });

for (const [name, service] of Object.entries(services)) {
  for (const [target, condition] of Object.entries(dependsOn(service))) {
    const other = services[target];
    if (!other) {
      problems.push(`${name}: depends on ${target}, which is no service`);
      continue;
    }
    if (condition === 'service_healthy' && (!other.healthcheck?.test || other.healthcheck.disable)) problems.push(`${name}: waits for ${target} to be healthy, which has no healthcheck`);
    if (condition === 'service_completed_successfully' && other.restart && !['no', 'on-failure'].includes(other.restart)) {
      problems.push(`${name}: waits for ${target} to complete, which restarts "${other.restart}" and so never completes`);
    }
  }
  for (const mount of mountsOf(service)) {
    if (mount.named && !(compose.volumes && mount.source in compose.volumes)) problems.push(`${name}: mounts the volume "${mount.source}", which is not declared under volumes`);
  }
  for (const [variable, path] of Object.entries(envOf(service))) {
    if (!variable.endsWith('_FILE')) continue;
    if (!mountsOf(service).some((m) => path.startsWith(`${m.target.replace(/\/$/, '')}/`))) problems.push(`${name}: ${variable}=${path} is under no volume mounted in this service`);
  }
}
// depends_on cycles: Compose refuses them at `up`.
const visiting = new Set<string>();
const done = new Set<string>();
const visit = (name: string, path: string[]) => {
  if (done.has(name)) return;
  if (visiting.has(name)) {
    problems.push(`depends_on cycle: ${[...path, name].join(' → ')}`);
    return;
  }
  visiting.add(name);
  for (const next of Object.keys(dependsOn(services[name] ?? {}))) if (services[next]) visit(next, [...path, name]);
  visiting.delete(name);
  done.add(name);
};
for (const name of names) visit(name, []);
// One published port, the web origin's.
const publishing = names.filter((n) => (services[n]?.ports ?? []).length > 0);
if (publishing.length !== 1 || publishing[0] !== 'web') problems.push(`only the web origin publishes a port; these do: ${publishing.join(', ') || 'none'}`);
// Each declared volume is used.
for (const volume of Object.keys(compose.volumes ?? {})) {
  if (!Object.values(services).some((s) => mountsOf(s).some((m) => m.named && m.source === volume))) problems.push(`volume ${volume} is declared but mounted nowhere`);
}
// Each product process against its own config schema.
let checkedProcesses = 0;
for (const [name, service] of Object.entries(services)) {
  const command = [service.entrypoint, service.command].flatMap((c) => (c === undefined ? [] : Array.isArray(c) ? c : [c]));
  if (!service.image?.startsWith('shutter')) continue;
  const spec = await processOf(command);
  if (spec === 'no-env') continue;
  if (spec === null) {
    // The web image before the web workspace is in this tree: its schema cannot be read here.
    if (service.image.startsWith('shutter-web')) continue;
    problems.push(`${name}: runs ${command.join(' ')}, which is no known process of the product`);
    continue;
  }
  const values = envOf(service);
  const opaque = new Set(Object.keys(values).filter((k) => k.endsWith('_FILE')));
  for (const problem of checkEnv(spec, { values, opaque })) problems.push(`${name}: ${problem}`);
  checkedProcesses++;
}

const ms = Math.round(performance.now() - started);
if (problems.length > 0) {
  console.error(`compose: ${file} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`compose: ${names.length} services valid against the compose-spec schema, dependencies, volumes, one published port, ${checkedProcesses} environments against their config schemas (${ms} ms)`);
