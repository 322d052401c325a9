import { fileURLToPath } from 'node:url';
import { runMigrations } from '@shutter/db';

export const mediaMigrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export const migrateMediaDatabase = (url: string) => runMigrations(url, mediaMigrationsFolder);
