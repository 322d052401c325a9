import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';

export interface LocalRedis {
  url: string;
  /** How it was found, for the start-up line. */
  source: 'REDIS_URL' | 'running' | 'started';
  stop(): Promise<void>;
}

/** True when a Redis server answers PING at host:port within the timeout. */
export function pingRedis(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export const REDIS_MISSING_MESSAGE = [
  'Redis is needed and none was found:',
  '  - nothing answers at 127.0.0.1:6379, REDIS_URL is not set, and redis-server is not on PATH.',
  'Do one of these, then run the command again:',
  '  - Debian/Ubuntu: sudo apt-get install redis-server     macOS: brew install redis',
  '  - or point REDIS_URL at a Redis 6.2+ server, e.g. REDIS_URL=redis://127.0.0.1:6379',
].join('\n');

/**
 * Redis at REDIS_URL; else the one at 127.0.0.1:6379; else a redis-server from PATH, started on
 * `port` with its data under `dataDir`.
 */
export async function ensureRedis(options: { dataDir: string; port: number; env?: NodeJS.ProcessEnv }): Promise<LocalRedis> {
  const env = options.env ?? process.env;
  const noop = async () => {};
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: noop };
  if (await pingRedis('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379', source: 'running', stop: noop };
  if (await pingRedis('127.0.0.1', options.port)) {
    // Ours, from a start that did not stop cleanly: use it.
    return { url: `redis://127.0.0.1:${options.port}`, source: 'running', stop: noop };
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error(REDIS_MISSING_MESSAGE);

  mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(options.port), '--dir', options.dataDir, '--appendonly', 'yes', '--save', '60 1000'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (await pingRedis('127.0.0.1', options.port)) {
      return {
        url: `redis://127.0.0.1:${options.port}`,
        source: 'started',
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            // SIGTERM writes the AOF and exits; a Redis that cannot (a full disk) is not waited on for ever.
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${options.port}; is the port taken? Set REDIS_URL to use another Redis.`);
}
