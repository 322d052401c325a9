import { runMain, withTelemetry } from '@shutter/service';
import { loadFeedConfig } from './config.ts';
import { startFeedService } from './service.ts';

await runMain(withTelemetry('feed', () => startFeedService(loadFeedConfig())));
