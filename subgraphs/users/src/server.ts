import { ConfigError } from '@shutter/config';
import { loadUsersConfig } from './config.ts';
import { startUsersService } from './service.ts';

// The process entry: `npm start` runs it, after migrations (they are a separate step).
try {
  const service = await startUsersService(loadUsersConfig());
  const stop = async () => {
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78); // EX_CONFIG
  }
  throw e;
}
