import { runMain } from '@shutter/service';
import { loadWebConfig } from './config.ts';
import { startWebServer } from './server.ts';

await runMain(async () => startWebServer(loadWebConfig()));
