import { runMigrationMain } from '@shutter/service';
import { mediaDatabase } from './db/index.ts';

// The migration step, before the service starts (npm start runs it itself; in containers, the migrate job).
await runMigrationMain('media', mediaDatabase);
