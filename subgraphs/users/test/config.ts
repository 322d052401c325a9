import { loadUsersConfig, type UsersConfig } from '../src/config.ts';

/**
 * The users config that other packages' tests start the subgraph with: a free port, silent logs,
 * and the cheapest argon2id the config allows (tests check behaviour, not hashing cost). `env`
 * adds or overrides variables (the push worker's tests set Redis, VAPID and FCM there).
 */
export function usersTestConfig(
  databaseUrl: string,
  secrets: { GATEWAY_SIGNING_SECRET: string; ACCESS_TOKEN_PRIVATE_KEY: string },
  env: Record<string, string> = {},
): UsersConfig {
  return loadUsersConfig({
    USERS_DATABASE_URL: databaseUrl,
    USERS_PORT: '0',
    GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
    ACCESS_TOKEN_PRIVATE_KEY: secrets.ACCESS_TOKEN_PRIVATE_KEY,
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    ...env,
  });
}
