/**
 * The parent's side of bench/subscription-clients.ts: forks it with the sockets' tokens and their
 * subscription, waits until every socket is open, and asks it when messages arrived.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './lib.ts';

export interface SocketClients {
  opened: number;
  errors: number;
  errorSamples: string[];
  /** The open-file limits the child started under (soft raised to hard). */
  fileLimits: { soft: string; hard: string };
  /** When each socket received the message whose root field has this id (epoch ms). */
  arrivals(id: string): Promise<number[]>;
  close(): Promise<void>;
}

export async function openSocketClients(options: { wsUrl: string; tokens: string[]; query?: string }): Promise<SocketClients> {
  // A file, not the environment: thousands of tokens overflow the exec arguments limit.
  const dir = mkdtempSync(join(tmpdir(), 'bench-sockets-'));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify(options.tokens));
  // Each socket is a file descriptor in the child (and one in the gateway): the child's soft limit
  // is raised to the hard limit, so 10,000 sockets fit. The gateway keeps npm start's (the shell's).
  const limit = (which: '-Sn' | '-Hn') => execFileSync('sh', ['-c', `ulimit ${which}`], { encoding: 'utf8' }).trim();
  const fileLimits = { soft: limit('-Sn'), hard: limit('-Hn') };
  if (fileLimits.soft !== 'unlimited' && Number(fileLimits.soft) < options.tokens.length + 1000) {
    progress(`the open-file limit (${fileLimits.soft}) is below ${options.tokens.length + 1000}: the client child raises its own to ${fileLimits.hard}; the gateway's stays ${fileLimits.soft}`);
  }
  const child = fork(fileURLToPath(new URL('./subscription-clients.ts', import.meta.url)), [], {
    execPath: 'sh',
    execArgv: ['-c', `ulimit -n ${fileLimits.hard} 2>/dev/null; exec "$0" "$@"`, process.execPath, '--import', 'tsx'],
    env: { ...process.env, BENCH_WS_URL: options.wsUrl, BENCH_TOKENS_FILE: join(dir, 'tokens.json'), ...(options.query ? { BENCH_QUERY: options.query } : {}) },
  });
  const message = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type?: string }) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
    });
  const ready = await message<{ ready: number; errors: number; errorSamples: string[] }>('ready');
  if (ready.errors) progress(`${ready.errors} subscriptions failed, e.g. ${ready.errorSamples.join('; ')}`);
  return {
    opened: ready.ready,
    errors: ready.errors,
    errorSamples: ready.errorSamples,
    fileLimits,
    async arrivals(id) {
      const reply = message<{ at: number[] }>('arrivals');
      child.send({ type: 'arrivals', id });
      return (await reply).at;
    },
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'close' });
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
