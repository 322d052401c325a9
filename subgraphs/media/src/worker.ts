import { runMain, withTelemetry } from '@shutter/service';
import { loadMediaConfig } from './config.ts';
import { startMediaWorker } from './jobs/index.ts';

// The worker entry: image processing and the outbox relay.
await runMain(withTelemetry('media-worker', () => startMediaWorker(loadMediaConfig())));
