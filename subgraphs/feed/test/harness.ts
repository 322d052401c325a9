import { createServer, type Server } from 'node:http';
import postgres from 'postgres';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { newId } from '@shutter/db';
import { createTestDatabase, createTestSecrets, dropRedisPrefix, signedGraphql, testRedisPrefix, testRedisUrl, type GraphQLResponse, type TestDatabase } from '@shutter/testing';
import { loadSocialGraphConfig, socialGraphDatabase, startSocialGraphService } from '@shutter/social-graph';
import type { RunningSubgraph } from '@shutter/service';
import { loadFeedConfig, type FeedConfig } from '../src/config.ts';
import { feedDatabase, type FeedDatabase } from '../src/db/index.ts';
import { createFeedDeps, type FeedDeps } from '../src/deps.ts';
import { startFeedService } from '../src/service.ts';

/**
 * The feed subgraph with the real social-graph subgraph beside it, each on a fresh database.
 * Follows are seeded straight into social-graph's tables (thousands of followers through GraphQL
 * would test only patience); everything the feed does goes over HTTP. The feed never calls media:
 * posts reach it as events.
 */
export interface FeedHarness {
  config: FeedConfig;
  deps: FeedDeps;
  database: FeedDatabase;
  redis: Redis;
  socialGraph: RunningSubgraph;
  feed: RunningSubgraph;
  call(query: string, variables?: Record<string, unknown>, viewerId?: string | null): Promise<GraphQLResponse<Record<string, any>>>;
  /** Seeds follow edges (and counters) in social-graph. */
  follow(followerIds: string[], followeeId: string): Promise<void>;
  unfollow(followerId: string, followeeId: string): Promise<void>;
  /** A published post's post.created event (media would emit it). */
  post(authorId: string, createdAt?: Date): Promise<{ postId: string; authorId: string; createdAt: string }>;
  /** Drops every Redis key of this installation: what a Redis restart without persistence does. */
  flushRedis(): Promise<void>;
  /** Makes a timeline exist (an active user), as a first read would. */
  buildTimelines(userIds: string[]): Promise<void>;
  feedIds(viewerId: string, first?: number, after?: string | null): Promise<{ ids: string[]; endCursor: string | null; hasNextPage: boolean }>;
  close(): Promise<void>;
}

export async function startFeedHarness(options: { env?: Record<string, string> } = {}): Promise<FeedHarness> {
  const secrets = await createTestSecrets();
  const prefix = testRedisPrefix();
  const databases: TestDatabase[] = [];
  const database = async (folder: { migrationsFolder: string }) => {
    const created = await createTestDatabase(folder);
    databases.push(created);
    return created.url;
  };
  const socialGraphUrl = await database(socialGraphDatabase);
  const common = { GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
  const socialGraph = await startSocialGraphService(
    loadSocialGraphConfig({ ...common, SOCIAL_GRAPH_DATABASE_URL: socialGraphUrl, SOCIAL_GRAPH_PORT: '0' }),
  );
  const config = loadFeedConfig({
    ...common,
    FEED_DATABASE_URL: await database(feedDatabase),
    FEED_PORT: '0',
    SOCIAL_GRAPH_URL: `${socialGraph.url}/graphql`,
    ...options.env,
  });
  const feed = await startFeedService(config, { logger: pino({ level: 'silent' }) });
  const redis = new Redis(testRedisUrl());
  const feedDb = feedDatabase.connect(config.FEED_DATABASE_URL);
  const deps = createFeedDeps(config, feedDb.db, redis);
  const socialGraphSql = postgres(socialGraphUrl, { max: 2, onnotice: () => {} });
  const call: FeedHarness['call'] = (query, variables, viewerId) =>
    signedGraphql(`${feed.url}/graphql`, secrets.GATEWAY_SIGNING_SECRET, { query, variables, viewerId });

  const flushRedis = () => dropRedisPrefix(prefix);

  return {
    config,
    deps,
    database: feedDb,
    redis,
    socialGraph,
    feed,
    call,
    async follow(followerIds, followeeId) {
      const now = Date.now();
      const rows = followerIds.map((followerId, i) => ({ follower_id: followerId, followee_id: followeeId, created_at: new Date(now + i) }));
      for (let i = 0; i < rows.length; i += 5000) await socialGraphSql`insert into follows ${socialGraphSql(rows.slice(i, i + 5000))}`;
      await socialGraphSql`
        insert into follow_counts (user_id, follower_count) values (${followeeId}, ${followerIds.length})
        on conflict (user_id) do update set follower_count = follow_counts.follower_count + ${followerIds.length}`;
    },
    async unfollow(followerId, followeeId) {
      await socialGraphSql`delete from follows where follower_id = ${followerId} and followee_id = ${followeeId}`;
      await socialGraphSql`update follow_counts set follower_count = follower_count - 1 where user_id = ${followeeId}`;
    },
    async post(authorId, createdAt = new Date()) {
      return { postId: newId(), authorId, createdAt: createdAt.toISOString() };
    },
    flushRedis,
    async buildTimelines(userIds) {
      await Promise.all(userIds.map((id) => deps.timelines.rebuild(id, async () => [])));
    },
    async feedIds(viewerId, first = 20, after = null) {
      const result = await call('query($first: Int, $after: String) { feed(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }', { first, after }, viewerId);
      if (!result.data) throw new Error(JSON.stringify(result.errors));
      const page = result.data.feed;
      return { ids: page.edges.map((e: { node: { id: string } }) => e.node.id), endCursor: page.pageInfo.endCursor, hasNextPage: page.pageInfo.hasNextPage };
    },
    async close() {
      await feed.close();
      await socialGraph.close();
      await Promise.all([socialGraphSql.end(), feedDb.close()]);
      await flushRedis();
      redis.disconnect();
      for (const created of databases) await created.drop();
    },
  };
}

/**
 * An HTTP proxy in front of a service that fails the n-th request to one path once (a 503), as a
 * worker crash or a network fault mid-job would: the job fails there and BullMQ retries it.
 */
export async function startFaultyProxy(target: string, path: string, failOn: number): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let seen = 0;
  let failed = false;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url === path && ++seen === failOn && !failed) {
      failed = true;
      res.writeHead(503).end('injected failure');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const answer = await fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
