import { runMain } from '@shutter/service';
import { loadMediaConfig } from './config.ts';
import { startMediaService } from './service.ts';

await runMain(() => startMediaService(loadMediaConfig()));
