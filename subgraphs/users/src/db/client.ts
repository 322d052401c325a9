import { createDatabase, type Database, type DatabaseOptions } from '@shutter/db';
import { schema } from './schema.ts';

export type UsersDatabase = Database<typeof schema>;
export type UsersDb = UsersDatabase['db'];

export const createUsersDatabase = (url: string, options?: DatabaseOptions): UsersDatabase =>
  createDatabase(url, schema, options);
