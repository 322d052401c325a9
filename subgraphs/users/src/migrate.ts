import { runMigrationMain } from '@shutter/service';
import { usersDatabase } from './db/index.ts';

// The migration step, before the service starts (npm start runs it itself; in containers, the migrate job).
await runMigrationMain('users', usersDatabase);
