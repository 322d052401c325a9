import type { Logger } from 'pino';
import { createTestDatabase, createTestSecrets, dropRedisPrefix, graphql, newTestVapidKeys, testRedisPrefix, testRedisUrl, type GraphQLCall, type GraphQLResponse, type TestDatabase } from '@shutter/testing';
import { startUsersService, startUsersWorker, usersDatabase, type UsersService } from '@shutter/users';
import { usersTestConfig } from '@shutter/users/testing';
import { loadSocialGraphConfig, socialGraphDatabase, startSocialGraphService, startSocialGraphWorker } from '@shutter/social-graph';
import { feedDatabase, loadFeedConfig, startFeedService, startFeedWorker } from '@shutter/feed';
import { loadMediaConfig, mediaDatabase, startMediaService, startMediaWorker } from '@shutter/media';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import type { RunningSubgraph } from '@shutter/service';
import type { RunningWorker } from '@shutter/service/worker';
import { loadGatewayConfig } from '../src/config.ts';
import { startGateway, type RunningGateway } from '../src/gateway.ts';

/** Every subgraph and the gateway, each on a free port and a fresh database, over real HTTP. */
export interface Stack {
  gateway: RunningGateway;
  users: UsersService;
  socialGraph: RunningSubgraph;
  media: RunningSubgraph;
  feed: RunningSubgraph;
  /** Each service's worker process (its probes and /metrics listen when WORKER_HEALTH_PORT is set). */
  workers: { users: RunningWorker; socialGraph: RunningWorker; media: RunningWorker; feed: RunningWorker };
  queuePrefix: string;
  secrets: Awaited<ReturnType<typeof createTestSecrets>>;
  url: string;
  /** Another gateway process over the same subgraphs and Redis (closed with the stack), with these variables changed. */
  startAnotherGateway(env?: Record<string, string>): Promise<RunningGateway>;
  query<T = Record<string, any>>(call: GraphQLCall): Promise<GraphQLResponse<T>>;
  /** Uploads a generated photo and posts it through the gateway; resolves once it is published (processed). */
  createPhotoPost(token: string, caption: string): Promise<string>;
  /** Signs up through the gateway; returns the user's id and access token. */
  signUp(username: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

/**
 * Rate limits for tests that are not about them: every test file signs up and logs in from one
 * address, far more often than a person would. The checks still run (in Redis, as in production);
 * rate-limits.e2e.test.ts sets small buckets and tests their edges.
 */
export const ROOMY_RATE_LIMITS = Object.fromEntries(
  ['IP', 'USER', 'LOG_IN', 'LOG_IN_ACCOUNT', 'SIGN_UP', 'REFRESH_SESSION', 'CREATE_UPLOAD', 'WS_CONNECT'].map((bucket) => [`RATE_LIMIT_${bucket}`, '100000/1m']),
);

export async function startStack(
  options: {
    usersLogger?: Logger;
    gatewayLogger?: Logger;
    feedEnv?: Record<string, string>;
    mediaEnv?: Record<string, string>;
    gatewayEnv?: Record<string, string>;
    /** Another Redis for the whole stack (a Redis Cluster's redis-cluster:// URL); the tests' shared one by default. */
    redisUrl?: string;
  } = {},
): Promise<Stack> {
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const secrets = await createTestSecrets();
  // One prefix for the whole stack: its services share queues, as in one installation.
  const queuePrefix = testRedisPrefix();
  const databases: TestDatabase[] = [];
  const database = async (folder: { migrationsFolder: string }) => {
    const created = await createTestDatabase(folder);
    databases.push(created);
    return created.url;
  };
  const usersConfig = usersTestConfig(await database(usersDatabase), secrets, {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    ...newTestVapidKeys(),
  });
  const users = await startUsersService(usersConfig, options.usersLogger ? { logger: options.usersLogger } : {});
  // Push delivery: notifications from the feed reach registered devices.
  const usersWorker = await startUsersWorker(usersConfig, { logger: pino({ level: 'silent' }) });
  const socialGraphConfig = loadSocialGraphConfig({
      SOCIAL_GRAPH_DATABASE_URL: await database(socialGraphDatabase),
      SOCIAL_GRAPH_PORT: '0',
      GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
      USERS_URL: `${users.url}/graphql`,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'silent',
  });
  const socialGraph = await startSocialGraphService(socialGraphConfig);
  const socialGraphWorker = await startSocialGraphWorker(socialGraphConfig, { logger: pino({ level: 'silent' }) });
  const storageDir = mkdtempSync(join(tmpdir(), 'shutter-stack-media-'));
  const mediaConfig = loadMediaConfig({
    MEDIA_DATABASE_URL: await database(mediaDatabase),
    MEDIA_PORT: '0',
    MEDIA_STORAGE_DIR: storageDir,
    GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'silent',
    ...options.mediaEnv,
  });
  const media = await startMediaService(mediaConfig);
  const mediaWorker = await startMediaWorker(mediaConfig, { logger: pino({ level: 'silent' }) });
  const feedConfig = loadFeedConfig({
    FEED_DATABASE_URL: await database(feedDatabase),
    FEED_PORT: '0',
    GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
    SOCIAL_GRAPH_URL: `${socialGraph.url}/graphql`,
    MEDIA_URL: `${media.url}/graphql`,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'silent',
    ...options.feedEnv,
  });
  const feed = await startFeedService(feedConfig, { logger: pino({ level: 'silent' }) });
  const feedWorker = await startFeedWorker(feedConfig, { logger: pino({ level: 'silent' }) });
  const gatewayEnvironment = {
      GATEWAY_PORT: '0',
      GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
      ACCESS_TOKEN_PUBLIC_KEY: secrets.ACCESS_TOKEN_PUBLIC_KEY,
      USERS_URL: `${users.url}/graphql`,
      SOCIAL_GRAPH_URL: `${socialGraph.url}/graphql`,
      MEDIA_URL: `${media.url}/graphql`,
      FEED_URL: `${feed.url}/graphql`,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'silent',
      ...ROOMY_RATE_LIMITS,
      ...options.gatewayEnv,
  };
  const gateway = await startGateway(loadGatewayConfig(gatewayEnvironment), options.gatewayLogger ? { logger: options.gatewayLogger } : {});
  const extraGateways: RunningGateway[] = [];
  const url = gateway.graphqlUrl;
  return {
    gateway,
    users,
    socialGraph,
    media,
    feed,
    workers: { users: usersWorker, socialGraph: socialGraphWorker, media: mediaWorker, feed: feedWorker },
    queuePrefix,
    secrets,
    url,
    async startAnotherGateway(env = {}) {
      const another = await startGateway(loadGatewayConfig({ ...gatewayEnvironment, ...env }), options.gatewayLogger ? { logger: options.gatewayLogger } : {});
      extraGateways.push(another);
      return another;
    },
    query: (call) => graphql(url, call),
    async createPhotoPost(token, caption) {
      const bytes = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 10, g: 160, b: 90 } } }).jpeg().toBuffer();
      const upload = await graphql(url, {
        query: 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }',
        variables: { input: { contentType: 'image/jpeg', byteSize: bytes.length } },
        token,
      });
      if (!upload.data) throw new Error(`createUpload: ${JSON.stringify(upload.errors)}`);
      const put = await fetch(upload.data.createUpload.uploadUrl, { method: 'PUT', body: bytes });
      if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
      const created = await graphql(url, {
        query: 'mutation($input: CreatePostInput!) { createPost(input: $input) { id } }',
        variables: { input: { uploadIds: [upload.data.createUpload.id], caption } },
        token,
      });
      if (!created.data) throw new Error(`createPost: ${JSON.stringify(created.errors)}`);
      const id = created.data.createPost.id as string;
      for (const started = Date.now(); Date.now() - started < 15_000; await new Promise((r) => setTimeout(r, 50))) {
        const read = await graphql(url, { query: 'query($id: ID!) { post(id: $id) { media { url } } }', variables: { id } });
        if (read.data?.post?.media?.length) return id;
      }
      throw new Error(`post ${id} was not published in 15 s`);
    },
    async signUp(username) {
      const result = await graphql(url, {
        query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
        variables: { input: { username, email: `${username}@example.com`, password: 'password123' } },
      });
      if (!result.data) throw new Error(`signUp ${username}: ${JSON.stringify(result.errors)}`);
      return { id: result.data.signUp.user.id, token: result.data.signUp.accessToken };
    },
    async close() {
      for (const another of extraGateways) await another.close();
      await gateway.close();
      await feedWorker.close();
      await feed.close();
      await socialGraphWorker.close();
      await mediaWorker.close();
      await media.close();
      rmSync(storageDir, { recursive: true, force: true });
      await socialGraph.close();
      await usersWorker.close();
      await users.close();
      for (const db of databases) await db.drop();
      // Queues, timelines and channels of this stack's installation (a Redis of the test's own goes with the test).
      if (!options.redisUrl) await dropRedisPrefix(queuePrefix);
    },
  };
}
