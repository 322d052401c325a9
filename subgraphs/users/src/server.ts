import { runMain, withTelemetry } from '@shutter/service';
import { loadUsersConfig } from './config.ts';
import { startUsersService } from './service.ts';

// The process entry: `npm start` runs it, after migrations (they are a separate step).
await runMain(withTelemetry('users', () => startUsersService(loadUsersConfig())));
