import { serviceDatabase, type Database } from '@shutter/db';
import { migrationsFolder } from '../paths.ts';
import { schema } from './schema.ts';

export const mediaDatabase = serviceDatabase(schema, migrationsFolder);
export type MediaDatabase = Database<typeof schema>;
export type MediaDb = MediaDatabase['db'];
/** A transaction of the media database. */
export type MediaTx = Parameters<Parameters<MediaDb['transaction']>[0]>[0];
