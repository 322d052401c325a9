import { runMain } from '@shutter/service';
import { loadSocialGraphConfig } from './config.ts';
import { startSocialGraphService } from './service.ts';

await runMain(() => startSocialGraphService(loadSocialGraphConfig()));
