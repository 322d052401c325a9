import { fileURLToPath } from 'node:url';
import { runMigrations } from '@shutter/db';

export const feedMigrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export const migrateFeedDatabase = (url: string) => runMigrations(url, feedMigrationsFolder);
