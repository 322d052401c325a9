/**
 * `npm start`: the whole product on one machine. Postgres (embedded, or POSTGRES_URL / per-service
 * *_DATABASE_URL), Redis (REDIS_URL, :6379, or a redis-server from PATH), migrations, then every
 * service as its own process. Ctrl-C stops everything; a second start reuses the data in .data/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { runMigrations } from '@shutter/db';
import { createProgress, describeError, ensurePostgres, ensureRedis, ensureServiceDatabase, loadOrCreateSecrets, redact } from '@shutter/local-infra';
import { GATEWAY_PORT, ROOT, SUBGRAPHS, portEnvOf, urlEnvOf } from './services.ts';

const started = performance.now();
const progress = createProgress();
// Where Postgres, Redis (when started here) and the local secrets live; kept between starts.
const dataDir = process.env.SHUTTER_DATA_DIR ? resolve(process.env.SHUTTER_DATA_DIR) : join(ROOT, '.data');
const children: { name: string; child: ChildProcess }[] = [];
const stops: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  // Ctrl-C reaches every process of the terminal's group at once, and tsx relays it again: the
  // first signal starts one orderly stop (bounded by the kill timer below); repeats change nothing.
  if (stopping) return;
  stopping = true;
  progress.info('stopping…');
  await Promise.all(
    children.map(
      ({ name, child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            // Said out loud: a service that does not stop on its own has a shutdown bug.
            progress.info(`${name} did not stop within 5 s; killed`);
            child.kill('SIGKILL');
          }, 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  for (const stop of stops.reverse()) await stop().catch(() => {});
  progress.info('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  // SHUTTER_NODE_ARGS: extra Node flags for every service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.SHUTTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `${name.padEnd(20)}| `;
  const relay = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) stream.write(prefix + line + '\n');
  };
  child.stdout?.on('data', relay(process.stdout));
  child.stderr?.on('data', relay(process.stderr));
  child.once('exit', (code, signal) => {
    // A child that ends on its own (not because we are stopping) takes the product down with it.
    if (!stopping && signal !== 'SIGINT') {
      progress.info(`✗ ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      void shutdown(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function waitUntilHealthy(name: string, url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start-up (see its log lines above)`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000} s`);
}

try {
  progress.info(`shutter: starting (data in ${dataDir})`);
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'), SUBGRAPHS.map((s) => s.name));

  // Postgres is needed only for the subgraphs whose *_DATABASE_URL is not given.
  const databaseUrls = new Map<string, string>();
  const needed = SUBGRAPHS.filter((s) => !process.env[s.databaseEnv]);
  for (const s of SUBGRAPHS) if (process.env[s.databaseEnv]) databaseUrls.set(s.name, process.env[s.databaseEnv] as string);
  if (needed.length > 0) {
    const pg = await progress.step(
      'postgres',
      () =>
        ensurePostgres({
          dataDir: join(dataDir, 'postgres'),
          port: Number(process.env.SHUTTER_PG_PORT ?? 54329),
          password: secrets.postgresPassword,
          log: progress.info,
        }),
      (pg) => `${pg.source}, ${redact(pg.adminUrl)}`,
    );
    stops.push(pg.stop);
    for (const s of needed) {
      databaseUrls.set(s.name, await ensureServiceDatabase(pg.adminUrl, s.database, secrets.rolePasswords[s.name] as string));
    }
  }

  const redis = await progress.step(
    'redis',
    () => ensureRedis({ dataDir: join(dataDir, 'redis'), port: Number(process.env.SHUTTER_REDIS_PORT ?? 6390) }),
    (r) => `${r.source}, ${r.url}`,
  );
  stops.push(redis.stop);

  for (const s of SUBGRAPHS) {
    await progress.step(`migrations ${s.name}`, () => runMigrations(databaseUrls.get(s.name) as string, join(ROOT, s.dir, 'migrations')));
  }

  const subgraphUrls = Object.fromEntries(
    SUBGRAPHS.map((s) => [urlEnvOf(s.name), `http://127.0.0.1:${Number(process.env[portEnvOf(s.name)] ?? s.port)}/graphql`]),
  );
  const common = {
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    REDIS_URL: redis.url,
    GATEWAY_SIGNING_SECRET: process.env.GATEWAY_SIGNING_SECRET ?? secrets.gatewaySigningSecret,
    // Services that ask another one directly (social-graph asks users) find it here.
    ...subgraphUrls,
  };
  const lines: string[] = [];
  for (const s of SUBGRAPHS) {
    const port = Number(process.env[portEnvOf(s.name)] ?? s.port);
    const env = {
      ...common,
      [portEnvOf(s.name)]: String(port),
      [s.databaseEnv]: databaseUrls.get(s.name),
      ...s.env?.({ dataDir, port, accessTokenPrivateKey: secrets.accessTokenPrivateKey, vapidPublicKey: secrets.vapidPublicKey, vapidPrivateKey: secrets.vapidPrivateKey }),
    };
    const child = startProcess(s.name, join(s.dir, 'src', 'server.ts'), env);
    await progress.step(s.name, () => waitUntilHealthy(s.name, `http://127.0.0.1:${port}/healthz`, child));
    lines.push(`${s.name.padEnd(20)} http://127.0.0.1:${port}/graphql`);
    if (s.worker) {
      startProcess(`${s.name}-worker`, join(s.dir, s.worker), env);
      lines.push(`${`${s.name}-worker`.padEnd(20)} (BullMQ on ${redis.url})`);
    }
  }

  const gatewayPort = Number(process.env.GATEWAY_PORT ?? GATEWAY_PORT);
  const gateway = startProcess('gateway', join('gateway', 'src', 'server.ts'), {
    ...common,
    GATEWAY_PORT: String(gatewayPort),
    ACCESS_TOKEN_PUBLIC_KEY: process.env.ACCESS_TOKEN_PUBLIC_KEY ?? secrets.accessTokenPublicKey,
    ...subgraphUrls,
  });
  await progress.step('gateway', () => waitUntilHealthy('gateway', `http://127.0.0.1:${gatewayPort}/readyz`, gateway));
  lines.unshift(`${'gateway'.padEnd(20)} http://127.0.0.1:${gatewayPort}/graphql (subscriptions: ws://127.0.0.1:${gatewayPort}/graphql)`);

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\nshutter is running (ready in ${seconds} s):\n${lines.map((l) => `  ${l}`).join('\n')}\n` +
      `Open the gateway URL in a browser for Apollo Sandbox. Ctrl-C stops everything.\n\n`,
  );
} catch (e) {
  progress.info(`\nnpm start failed: ${describeError(e)}`);
  await shutdown(1);
}
