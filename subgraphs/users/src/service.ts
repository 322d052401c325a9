import { createAccessTokenIssuer } from '@shutter/auth';
import { existingUsersEndpoint } from '@shutter/contracts';
import type { DatabaseOptions } from '@shutter/db';
import { createLogger, endpointRoute, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import { Accounts } from './auth.ts';
import type { UsersConfig } from './config.ts';
import { createUsersContext } from './context.ts';
import { usersDatabase } from './db/index.ts';
import { schemaFile } from './paths.ts';
import { resolvers } from './resolvers/index.ts';
import { existingUserIds } from './users.ts';

export interface UsersService extends RunningSubgraph {
  accounts: Accounts;
}

/** Starts the users subgraph: its database pool, its accounts, and its HTTP server. */
export async function startUsersService(
  config: UsersConfig,
  options: { logger?: Logger; database?: DatabaseOptions } = {},
): Promise<UsersService> {
  const logger = options.logger ?? createLogger('users', config.LOG_LEVEL);
  const database = usersDatabase.connect(config.USERS_DATABASE_URL, options.database);
  const accounts = new Accounts(database.db, {
    tokens: await createAccessTokenIssuer(config.ACCESS_TOKEN_PRIVATE_KEY, config.ACCESS_TOKEN_TTL_SECONDS),
    refreshTokenTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    argon2: { memoryCost: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST },
  });
  const server = await startSubgraphServer({
    name: 'users',
    schemaFile,
    resolvers,
    logger,
    host: config.USERS_HOST,
    port: config.USERS_PORT,
    signingSecret: config.GATEWAY_SIGNING_SECRET,
    context: (base) =>
      createUsersContext(base, database.db, accounts, { publicHttpsOnly: config.NODE_ENV === 'production' }, config.VAPID_PUBLIC_KEY ?? null),
    database,
    // social-graph asks before it makes an edge to a user.
    endpoints: [endpointRoute(existingUsersEndpoint, async (b) => ({ ids: await existingUserIds(database.db, b.ids) }))],
  });
  return { ...server, accounts };
}
