import { createTestDatabase, createTestSecrets, type TestDatabase } from '@shutter/testing';
import type { UsersConfig } from '../src/config.ts';
import { usersTestConfig } from './config.ts';
import { usersDatabase } from '../src/db/index.ts';

/** A users config on a fresh database, with fresh keys, on a free port. */
export async function createUsersTestConfig(): Promise<{ config: UsersConfig; database: TestDatabase; secrets: Awaited<ReturnType<typeof createTestSecrets>> }> {
  const database = await createTestDatabase(usersDatabase);
  const secrets = await createTestSecrets();
  const config = usersTestConfig(database.url, secrets);
  return { config, database, secrets };
}
