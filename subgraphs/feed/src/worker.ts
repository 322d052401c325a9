import { runMain, withTelemetry } from '@shutter/service';
import { loadFeedConfig } from './config.ts';
import { startFeedWorker } from './jobs/index.ts';

// The worker entry: fan-out, notifications, and the outbox relay.
await runMain(withTelemetry('feed-worker', () => startFeedWorker(loadFeedConfig())));
