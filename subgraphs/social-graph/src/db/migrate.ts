import { fileURLToPath } from 'node:url';
import { runMigrations } from '@shutter/db';

export const socialGraphMigrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export const migrateSocialGraphDatabase = (url: string) => runMigrations(url, socialGraphMigrationsFolder);
