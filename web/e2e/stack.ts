/**
 * The whole product for a browser test, started the way a person starts it: scripts/start.ts (npm
 * start), with databases, a Redis prefix, ports and a data directory of this test's own, so that
 * it never meets anyone else's installation on a shared machine.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropRedisPrefix, testRedisUrl, type TestDatabase } from '@shutter/testing';
import { ROOT, SUBGRAPHS, portEnvOf } from '../../scripts/services.ts';

export interface Installation {
  /** The web origin (what npm start printed first). */
  webUrl: string;
  gatewayUrl: string;
  /** Everything npm start printed, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on now (the kernel's pick). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startInstallation(env: Record<string, string> = {}): Promise<Installation> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shutter-e2e-'));
  chmodSync(dataDir, 0o755);
  const databases: TestDatabase[] = [];
  for (const s of SUBGRAPHS) databases.push(await createTestDatabase({ migrationsFolder: join(ROOT, s.dir, 'migrations') }));
  const prefix = `e2e${randomBytes(4).toString('hex')}`;
  const ports: Record<string, string> = { GATEWAY_PORT: String(await freePort()), WEB_PORT: String(await freePort()) };
  for (const s of SUBGRAPHS) ports[portEnvOf(s.name)] = String(await freePort());

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...ports,
    ...Object.fromEntries(SUBGRAPHS.map((s, i) => [s.databaseEnv, databases[i]!.url])),
    SHUTTER_DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    REDIS_URL: testRedisUrl(),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    // Sign-ups cost what a test needs, not what a password store does.
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    // Every browser here is 127.0.0.1, and tokens live seconds: the rate limits are still checked,
    // with buckets the journey cannot empty (gateway/test/rate-limits.e2e.test.ts tests their edges).
    ...Object.fromEntries(['IP', 'USER', 'LOG_IN', 'LOG_IN_ACCOUNT', 'SIGN_UP', 'REFRESH_SESSION', 'CREATE_UPLOAD', 'WS_CONNECT'].map((bucket) => [`RATE_LIMIT_${bucket}`, '100000/1m'])),
    ...env,
  };
  delete childEnv.POSTGRES_URL;
  // Its own process group, so that the stop reaches every service, as Ctrl-C in a terminal does.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const cleanUp = async () => {
    for (const db of databases) await db.drop().catch(() => {});
    await dropRedisPrefix(prefix).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGINT');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await cleanUp();
  };

  try {
    const { webUrl, gatewayUrl } = await new Promise<{ webUrl: string; gatewayUrl: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start was not ready in 180 s:\n${output}`)), 180_000);
      const check = () => {
        if (!output.includes('shutter is running')) return;
        const list = output.slice(output.indexOf('shutter is running'));
        // The web origin is what a person opens: it must be the first line.
        const first = list.split('\n')[1] ?? '';
        const web = first.match(/^\s+web\s+(http:\/\/\S+)/)?.[1];
        const gateway = list.match(/^\s+gateway\s+(http:\/\/\S+\/graphql)/m)?.[1];
        clearTimeout(timer);
        if (!web || !gateway) reject(new Error(`npm start did not print the web URL first:\n${list}`));
        else resolve({ webUrl: web, gatewayUrl: gateway });
      };
      child.stdout.on('data', check);
      void exited.then(() => reject(new Error(`npm start exited before it was ready:\n${output}`)));
    });
    return { webUrl, gatewayUrl, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
