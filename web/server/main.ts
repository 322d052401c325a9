import { runMain } from '@shutter/service';
import { loadWebConfig } from './config.ts';
import { startWebServer } from './server.ts';
import { MissingBuildError } from './static-files.ts';

await runMain(async () => {
  try {
    return await startWebServer(loadWebConfig());
  } catch (e) {
    // Said in one line, not a stack: the fix is a command.
    if (e instanceof MissingBuildError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
});
