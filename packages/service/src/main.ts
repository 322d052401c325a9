import { ConfigError, env, envPrefix, loadConfig, z } from '@shutter/config';
import type { ServiceDatabase } from '@shutter/db';

/** A bad configuration is its message (every problem at once) and exit code 78 (EX_CONFIG), not a trace. */
function exitOnConfigError(e: unknown): void {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78);
  }
}

/** A process entry: starts the thing, and stops it cleanly on SIGINT/SIGTERM. */
export async function runMain(start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  try {
    const running = await start();
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await running.close();
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
