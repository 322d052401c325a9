import { serviceDatabase, type Database } from '@shutter/db';
import { migrationsFolder } from '../paths.ts';
import { schema } from './schema.ts';

export const usersDatabase = serviceDatabase(schema, migrationsFolder);
export type UsersDatabase = Database<typeof schema>;
export type UsersDb = UsersDatabase['db'];
