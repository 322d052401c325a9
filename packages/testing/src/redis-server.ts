import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '@shutter/local-infra';

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of one test's own, on a free port with its own data directory: tests that stop,
 * restart or flush Redis do it to this one, never to the Redis other tests (and other people)
 * share. With `appendonly`, a stop and start keeps its data, as a production Redis with AOF does.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops it (SIGTERM: with AOF, what it holds is written first); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again, same port and directory. */
  start(): Promise<void>;
  /** Ends it and removes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(options: { appendonly?: boolean; args?: string[] } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shutter-redis-'));
  let child: ChildProcess | null = null;
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'always', ...(options.args ?? [])];

  async function start(): Promise<void> {
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    for (let i = 0; i < 100; i++) {
      if (await pingRedis('127.0.0.1', port)) return;
      if (started.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    started.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}`);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
