import { createTestDatabase, createTestSecrets, signedGraphql, testRedisPrefix, testRedisUrl, type GraphQLResponse, type TestDatabase } from '@shutter/testing';
import { startUsersService, usersDatabase, type UsersService } from '@shutter/users';
import { usersTestConfig } from '@shutter/users/testing';
import type { RunningSubgraph } from '@shutter/service';
import { loadSocialGraphConfig, type SocialGraphConfig } from '../src/config.ts';
import { socialGraphDatabase } from '../src/db/index.ts';
import { startSocialGraphService } from '../src/service.ts';

export interface SocialGraphHarness {
  config: SocialGraphConfig;
  secret: string;
  users: UsersService;
  socialGraph: RunningSubgraph;
  socialGraphDatabase: TestDatabase;
  /** Signed GraphQL to the social-graph subgraph, as the gateway would send it. */
  call(query: string, variables?: Record<string, unknown>, viewerId?: string | null): Promise<GraphQLResponse<Record<string, any>>>;
  signUp(username: string): Promise<string>;
  close(): Promise<void>;
}

/** The real users subgraph (social-graph asks it whether a user exists) and social-graph, on fresh databases. */
export async function startSocialGraphHarness(options: { onQuery?: (query: string) => void } = {}): Promise<SocialGraphHarness> {
  const secrets = await createTestSecrets();
  const usersTestDatabase = await createTestDatabase(usersDatabase);
  const socialGraphTestDatabase = await createTestDatabase(socialGraphDatabase);
  const users = await startUsersService(
    usersTestConfig(usersTestDatabase.url, secrets),
  );
  const config = loadSocialGraphConfig({
    SOCIAL_GRAPH_DATABASE_URL: socialGraphTestDatabase.url,
    SOCIAL_GRAPH_PORT: '0',
    GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
    USERS_URL: `${users.url}/graphql`,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: testRedisPrefix(),
    LOG_LEVEL: 'silent',
  });
  const socialGraph = await startSocialGraphService(config, { database: { onQuery: options.onQuery } });
  const url = `${socialGraph.url}/graphql`;
  return {
    config,
    secret: secrets.GATEWAY_SIGNING_SECRET,
    users,
    socialGraph,
    socialGraphDatabase: socialGraphTestDatabase,
    call: (query, variables, viewerId) => signedGraphql(url, secrets.GATEWAY_SIGNING_SECRET, { query, variables, viewerId }),
    async signUp(username) {
      const session = await users.accounts.signUp({ username, email: `${username}@example.com`, password: 'password123' });
      return session.user.id;
    },
    async close() {
      await socialGraph.close();
      await users.close();
      await socialGraphTestDatabase.drop();
      await usersTestDatabase.drop();
    },
  };
}
