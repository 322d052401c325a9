import { runMain, withTelemetry } from '@shutter/service';
import { loadMediaConfig } from './config.ts';
import { startMediaService } from './service.ts';

await runMain(withTelemetry('media', () => startMediaService(loadMediaConfig())));
