import { runMain, withTelemetry } from '@shutter/service';
import { loadSocialGraphConfig } from './config.ts';
import { startSocialGraphService } from './service.ts';

await runMain(withTelemetry('social-graph', () => startSocialGraphService(loadSocialGraphConfig())));
