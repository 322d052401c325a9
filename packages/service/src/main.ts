import { ConfigError, env, envPrefix, loadConfig, z } from '@shutter/config';
import type { ServiceDatabase } from '@shutter/db';

/** A bad configuration is its message (every problem at once) and exit code 78 (EX_CONFIG), not a trace. */
function exitOnConfigError(e: unknown): void {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78);
  }
}

/**
 * How long a process may take to stop in order. Every step of a close has its own bound (the HTTP
 * grace, the workers' wait for their jobs); this is the backstop, below the 10 s after which
 * `npm start` (and Kubernetes' default grace of 30 s) would kill the process anyway.
 */
export const STOP_DEADLINE_MS = 8000;

/** A process entry: starts the thing, and stops it cleanly on SIGINT/SIGTERM, within STOP_DEADLINE_MS. */
export async function runMain(start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  try {
    const running = await start();
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => {
        console.error(`did not stop in order within ${STOP_DEADLINE_MS / 1000} s; exiting`);
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      try {
        await running.close();
      } catch (e) {
        console.error('while stopping:', e);
        process.exit(1);
      }
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Started by a supervisor over an IPC channel (npm start): when it is gone, so is this process,
    // rather than running on with nobody to stop it.
    if (process.send) process.on('disconnect', stop);
  } catch (e) {
    exitOnConfigError(e);
    throw e;
  }
}

/**
 * A service's migration entry (src/migrate.ts; the migrate job in containers, before the service
 * starts): applies its committed migrations to `<NAME>_DATABASE_URL`, then exits.
 */
export async function runMigrationMain(service: string, database: ServiceDatabase<Record<string, unknown>>): Promise<void> {
  const variable = `${envPrefix(service)}_DATABASE_URL`;
  try {
    const config = loadConfig(`${service} migrate`, z.object({ [variable]: env.postgresUrl() }));
    await database.migrate(config[variable] as string);
    console.log(`${service}: migrations applied`);
  } catch (e) {
    exitOnConfigError(e);
    throw e;
  }
}
