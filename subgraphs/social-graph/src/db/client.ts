import { createDatabase, type Database, type DatabaseOptions } from '@shutter/db';
import { schema } from './schema.ts';

export type SocialGraphDatabase = Database<typeof schema>;
export type SocialGraphDb = SocialGraphDatabase['db'];

export const createSocialGraphDatabase = (url: string, options?: DatabaseOptions): SocialGraphDatabase =>
  createDatabase(url, schema, options);
