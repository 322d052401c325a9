import { serviceDatabase, type Database } from '@shutter/db';
import { migrationsFolder } from '../paths.ts';
import { schema } from './schema.ts';

export const socialGraphDatabase = serviceDatabase(schema, migrationsFolder);
export type SocialGraphDb = Database<typeof schema>['db'];
