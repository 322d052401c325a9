import { createTestDatabase, createTestSecrets, type TestDatabase } from '@shutter/testing';
import { loadUsersConfig, type UsersConfig } from '../src/config.ts';
import { usersMigrationsFolder } from '../src/db/migrate.ts';

/** A users config on a fresh database, with fresh keys, on a free port. */
export async function createUsersTestConfig(): Promise<{ config: UsersConfig; database: TestDatabase; secrets: Awaited<ReturnType<typeof createTestSecrets>> }> {
  const database = await createTestDatabase(usersMigrationsFolder);
  const secrets = await createTestSecrets();
  const config = loadUsersConfig({
    USERS_DATABASE_URL: database.url,
    USERS_PORT: '0',
    GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
    ACCESS_TOKEN_PRIVATE_KEY: secrets.ACCESS_TOKEN_PRIVATE_KEY,
    LOG_LEVEL: 'silent',
    // The cheapest argon2id the config allows: tests check behaviour, not hashing cost.
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
  });
  return { config, database, secrets };
}
