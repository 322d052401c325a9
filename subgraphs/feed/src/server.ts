import { runMain } from '@shutter/service';
import { loadFeedConfig } from './config.ts';
import { startFeedService } from './service.ts';

await runMain(() => startFeedService(loadFeedConfig()));
