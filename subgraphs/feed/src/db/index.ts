import { serviceDatabase, type Database } from '@shutter/db';
import { migrationsFolder } from '../paths.ts';
import { schema } from './schema.ts';

export const feedDatabase = serviceDatabase(schema, migrationsFolder);
export type FeedDatabase = Database<typeof schema>;
export type FeedDb = FeedDatabase['db'];
