import { ConfigError } from '@shutter/config';

/**
 * A process entry: starts the thing, stops it cleanly on SIGINT/SIGTERM, and turns a bad
 * configuration into its message (every problem at once) and exit code 78 (EX_CONFIG), not a trace.
 */
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
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78);
    }
    throw e;
  }
}
