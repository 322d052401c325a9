/**
 * `npm start`: the whole product on one machine. Postgres (embedded, or POSTGRES_URL / per-service
 * *_DATABASE_URL), Redis (REDIS_URL, :6379, or a redis-server from PATH), the build (cached by
 * turbo), migrations, then every service, worker and the gateway as a process of its own, all at
 * once, kept running by a supervisor. Ctrl-C stops everything; a second start reuses .data/.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { runMigrations } from '@shutter/db';
import { createProgress, describeError, ensurePostgres, ensureRedis, ensureServiceDatabase, loadOrCreateSecrets, redact, type LocalPostgres } from '@shutter/local-infra';
import { GATEWAY_PORT, ROOT, SUBGRAPHS, WEB, portEnvOf, urlEnvOf, webPort, webUrl } from './services.ts';
import { Supervisor, type ProcessSpec } from './supervisor.ts';

const started = performance.now();
const progress = createProgress();
// Where Postgres, Redis (when started here) and the local secrets live; kept between starts.
const dataDir = process.env.SHUTTER_DATA_DIR ? resolve(process.env.SHUTTER_DATA_DIR) : join(ROOT, '.data');
/** How long each process may take to stop on Ctrl-C before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
const supervisor = new Supervisor({
  cwd: ROOT,
  // SHUTTER_NODE_ARGS: extra Node flags for every process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  nodeArgs: (process.env.SHUTTER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  log: progress.info,
});
const stops: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  // A second Ctrl-C while stopping changes nothing: the stop is bounded by STOP_TIMEOUT_MS anyway.
  if (stopping) return;
  stopping = true;
  progress.info('stopping…');
  await supervisor.stopAll(STOP_TIMEOUT_MS);
  for (const stop of stops.reverse()) await stop().catch((e: unknown) => progress.info(`while stopping: ${describeError(e)}`));
  progress.info('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));

/** `npm run build`: turbo bundles what changed since the last build (a cache hit otherwise). */
function build(): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'turbo', 'bin', 'turbo'), 'run', 'build', '--output-logs=errors-only', '--log-prefix=none'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolveBuild() : reject(new Error(`the build failed (npm run build shows why):\n${output.trim()}`))));
  });
}

/** Waits for `url` to answer 200 (and, with `fullyReady`, a readiness report saying "ready", not "degraded"). */
async function waitUntilHealthy(name: string, url: string, timeoutMs = 60_000, fullyReady = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok && (!fullyReady || ((await response.json()) as { status?: string }).status === 'ready')) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000} s (see its log lines above)`);
}

try {
  progress.info(`shutter: starting (data in ${dataDir})`);
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'), SUBGRAPHS.map((s) => s.name));

  // Postgres is needed only for the subgraphs whose *_DATABASE_URL is not given. It, Redis and the
  // build do not wait for each other.
  const needed = SUBGRAPHS.filter((s) => !process.env[s.databaseEnv]);
  const postgres: Promise<LocalPostgres | null> =
    needed.length === 0
      ? Promise.resolve(null)
      : progress.step(
          'postgres',
          () => ensurePostgres({ dataDir: join(dataDir, 'postgres'), port: Number(process.env.SHUTTER_PG_PORT ?? 54329), password: secrets.postgresPassword, log: progress.info }),
          (pg) => `${pg.source}, ${redact(pg.adminUrl)}`,
        );
  const redis = progress.step('redis', () => ensureRedis({ dataDir: join(dataDir, 'redis'), port: Number(process.env.SHUTTER_REDIS_PORT ?? 6390) }), (r) => `${r.source}, ${r.url}`);
  const built = progress.step('build', build);
  const [pg, localRedis] = await Promise.all([postgres, redis, built]);
  if (pg) stops.push(pg.stop);
  stops.push(localRedis.stop);

  const databaseUrls = new Map<string, string>(SUBGRAPHS.filter((s) => process.env[s.databaseEnv]).map((s) => [s.name, process.env[s.databaseEnv] as string]));
  await progress.step('databases and migrations', () =>
    Promise.all(
      SUBGRAPHS.map(async (s) => {
        const url = databaseUrls.get(s.name) ?? (await ensureServiceDatabase(pg!.adminUrl, s.database, secrets.rolePasswords[s.name] as string));
        databaseUrls.set(s.name, url);
        await runMigrations(url, join(ROOT, s.dir, 'migrations'));
      }),
    ),
  );

  const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((s) => [urlEnvOf(s.name), `http://127.0.0.1:${Number(process.env[portEnvOf(s.name)] ?? s.port)}/graphql`]));
  const common = {
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    REDIS_URL: localRedis.url,
    GATEWAY_SIGNING_SECRET: process.env.GATEWAY_SIGNING_SECRET ?? secrets.gatewaySigningSecret,
    // Services that ask another one directly (social-graph asks users) find it here.
    ...subgraphUrls,
  };
  const health: { name: string; url: string }[] = [];
  const lines: string[] = [];
  for (const s of SUBGRAPHS) {
    const port = Number(process.env[portEnvOf(s.name)] ?? s.port);
    const env = {
      ...common,
      [portEnvOf(s.name)]: String(port),
      [s.databaseEnv]: databaseUrls.get(s.name),
      ...s.env?.({ dataDir, port, webUrl: webUrl(), accessTokenPrivateKey: secrets.accessTokenPrivateKey, vapidPublicKey: secrets.vapidPublicKey, vapidPrivateKey: secrets.vapidPrivateKey }),
    };
    const specs: ProcessSpec[] = [{ name: s.name, entry: join(s.dir, 'dist', 'server.js'), env }];
    if (s.worker) specs.push({ name: `${s.name}-worker`, entry: join(s.dir, 'dist', 'worker.js'), env });
    for (const spec of specs) supervisor.start(spec);
    health.push({ name: s.name, url: `http://127.0.0.1:${port}/healthz` });
    lines.push(`${s.name.padEnd(20)} http://127.0.0.1:${port}/graphql`);
    if (s.worker) lines.push(`${`${s.name}-worker`.padEnd(20)} (BullMQ on ${localRedis.url})`);
  }
  const gatewayPort = Number(process.env.GATEWAY_PORT ?? GATEWAY_PORT);
  supervisor.start({
    name: 'gateway',
    entry: join('gateway', 'dist', 'server.js'),
    env: { ...common, GATEWAY_PORT: String(gatewayPort), ACCESS_TOKEN_PUBLIC_KEY: process.env.ACCESS_TOKEN_PUBLIC_KEY ?? secrets.accessTokenPublicKey },
  });
  supervisor.start({ name: WEB.name, entry: WEB.entry, env: { ...common, WEB_PORT: String(webPort()), GATEWAY_URL: `http://127.0.0.1:${gatewayPort}/graphql` } });
  health.push({ name: WEB.name, url: `${webUrl()}/healthz` });
  // Every process starts at once; the gateway is ready when every subgraph, and every dependency
  // of each, is (its /readyz says "ready", not "degraded").
  await progress.step('services', () => Promise.all(health.map((h) => waitUntilHealthy(h.name, h.url))));
  await progress.step('gateway', () => waitUntilHealthy('gateway', `http://127.0.0.1:${gatewayPort}/readyz`, 60_000, true));
  lines.unshift(`${'gateway'.padEnd(20)} http://127.0.0.1:${gatewayPort}/graphql (subscriptions: ws://127.0.0.1:${gatewayPort}/graphql)`);
  // The web origin (its client built with everything else) is what a person opens: printed first.
  lines.unshift(`${WEB.name.padEnd(20)} ${webUrl()}  (the app; GraphQL explorer at ${webUrl()}/explorer)`);

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\nshutter is running (ready in ${seconds} s):\n${lines.map((l) => `  ${l}`).join('\n')}\n` +
      `Open ${webUrl()} in a browser. Apollo Sandbox (online only) is at the gateway URL. Ctrl-C stops everything.\n\n`,
  );
} catch (e) {
  progress.info(`\nnpm start failed: ${describeError(e)}`);
  await shutdown(1);
}
