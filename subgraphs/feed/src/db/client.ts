import { createDatabase, type Database, type DatabaseOptions } from '@shutter/db';
import { schema } from './schema.ts';

export type FeedDatabase = Database<typeof schema>;
export type FeedDb = FeedDatabase['db'];

export const createFeedDatabase = (url: string, options?: DatabaseOptions): FeedDatabase => createDatabase(url, schema, options);
