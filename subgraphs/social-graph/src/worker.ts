import { runMain, withTelemetry } from '@shutter/service';
import { loadSocialGraphConfig } from './config.ts';
import { startSocialGraphWorker } from './jobs/index.ts';

// The worker entry: its BullMQ workers (none consume here yet) and the outbox relay.
await runMain(withTelemetry('social-graph-worker', () => startSocialGraphWorker(loadSocialGraphConfig())));
