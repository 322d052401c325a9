import { runMain, withTelemetry } from '@shutter/service';
import { loadUsersConfig } from './config.ts';
import { startUsersWorker } from './jobs/index.ts';

// The worker entry: push delivery (notification.created from the feed, one push per device).
await runMain(withTelemetry('users-worker', () => startUsersWorker(loadUsersConfig())));
