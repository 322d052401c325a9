import { runMain } from '@shutter/service';
import { loadSocialGraphConfig } from './config.ts';
import { startSocialGraphWorker } from './jobs/index.ts';

// The worker entry: its BullMQ workers (none consume here yet) and the outbox relay.
await runMain(() => startSocialGraphWorker(loadSocialGraphConfig()));
