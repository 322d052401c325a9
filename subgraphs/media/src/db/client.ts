import { createDatabase, type Database, type DatabaseOptions } from '@shutter/db';
import { schema } from './schema.ts';

export type MediaDatabase = Database<typeof schema>;
export type MediaDb = MediaDatabase['db'];

export const createMediaDatabase = (url: string, options?: DatabaseOptions): MediaDatabase => createDatabase(url, schema, options);
