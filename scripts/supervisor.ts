import { spawn, type ChildProcess } from 'node:child_process';

/** One process `npm start` runs: a service, a worker, the gateway. */
export interface ProcessSpec {
  name: string;
  /** The script Node runs (a bundle under dist/). */
  entry: string;
  env: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  cwd: string;
  /** Extra Node flags for every process (SHUTTER_NODE_ARGS). */
  nodeArgs?: string[];
  log(line: string): void;
  /** Restart delays: the first after `minBackoffMs`, doubling to `maxBackoffMs`; reset once a process has run `stableMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  stableMs?: number;
}

interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess;
  startedAt: number;
  restarts: number;
  backoffMs: number;
  timer: NodeJS.Timeout | null;
  /** Resolves when the current child has exited. */
  exited: Promise<void>;
}

/**
 * Runs `npm start`'s processes and keeps them running: one that dies is started again after a
 * backoff (said in the output), and the others go on. Each child has its own process group, so a
 * terminal's Ctrl-C reaches only `npm start`, which then stops them in an orderly way; and each has
 * an IPC channel, so a child whose supervisor is gone (killed outright) stops itself rather than
 * living on unsupervised.
 */
export class Supervisor {
  private readonly processes = new Map<string, Supervised>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  start(spec: ProcessSpec): void {
    const entry: Supervised = { spec, child: null as unknown as ChildProcess, startedAt: 0, restarts: 0, backoffMs: this.options.minBackoffMs ?? 500, timer: null, exited: Promise.resolve() };
    this.processes.set(spec.name, entry);
    this.spawn(entry);
  }

  /** Has the process exited since it was (re)started? For start-up checks that wait on it. */
  isRunning(name: string): boolean {
    const entry = this.processes.get(name);
    return !!entry && entry.child.exitCode === null && entry.child.signalCode === null;
  }

  pid(name: string): number | undefined {
    return this.processes.get(name)?.child.pid;
  }

  private spawn(entry: Supervised): void {
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), entry.spec.entry], {
      cwd: this.options.cwd,
      env: { ...process.env, ...entry.spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    entry.child = child;
    entry.startedAt = Date.now();
    const prefix = `${entry.spec.name.padEnd(20)}| `;
    const relay = (stream: NodeJS.WritableStream) => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line) stream.write(prefix + line + '\n');
      };
    };
    child.stdout?.on('data', relay(process.stdout));
    child.stderr?.on('data', relay(process.stderr));
    // A failed spawn emits 'error' (and maybe no 'exit'): treated as an exit, never an unhandled event.
    let done: () => void;
    entry.exited = new Promise<void>((resolve) => (done = resolve));
    let settled = false;
    const onExit = (description: string) => {
      if (settled) return;
      settled = true;
      done();
      if (this.stopping) return;
      // A process that ran a while before it died starts again at once; one that keeps dying waits longer each time.
      if (Date.now() - entry.startedAt > (this.options.stableMs ?? 60_000)) entry.backoffMs = this.options.minBackoffMs ?? 500;
      const wait = entry.backoffMs;
      entry.backoffMs = Math.min(entry.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
      entry.restarts += 1;
      this.options.log(`✗ ${entry.spec.name} exited (${description}); restarting in ${(wait / 1000).toFixed(1)} s (restart ${entry.restarts})`);
      entry.timer = setTimeout(() => {
        entry.timer = null;
        if (!this.stopping) this.spawn(entry);
      }, wait);
    };
    child.once('exit', (code, signal) => onExit(signal ?? `code ${code}`));
    child.once('error', (err) => onExit(`could not start: ${err.message}`));
  }

  /**
   * Stops every process: SIGTERM (each closes in order: stops taking work, finishes what is in
   * flight), then SIGKILL for any still running after `timeoutMs`, said out loud since it is a bug.
   */
  async stopAll(timeoutMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.processes.values()].map(async (entry) => {
        if (entry.timer) clearTimeout(entry.timer);
        const { child } = entry;
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        const killer = setTimeout(() => {
          this.options.log(`${entry.spec.name} did not stop within ${timeoutMs / 1000} s; killed`);
          killGroup(child, 'SIGKILL');
        }, timeoutMs);
        killGroup(child, 'SIGTERM');
        await entry.exited;
        clearTimeout(killer);
      }),
    );
  }
}

/** Signals a child's whole process group (it leads one: `detached`), falling back to the child itself. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
