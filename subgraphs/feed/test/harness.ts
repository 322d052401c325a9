import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { newId } from '@shutter/db';
import { createTestDatabase, createTestSecrets, dropRedisPrefix, signedGraphql, testRedisPrefix, testRedisUrl, type GraphQLResponse, type TestDatabase } from '@shutter/testing';
import { loadMediaConfig, mediaMigrationsFolder, startMediaService } from '@shutter/media';
import { loadSocialGraphConfig, socialGraphMigrationsFolder, startSocialGraphService } from '@shutter/social-graph';
import type { RunningSubgraph } from '@shutter/service';
import { loadFeedConfig, type FeedConfig } from '../src/config.ts';
import { createFeedDatabase, type FeedDatabase } from '../src/db/client.ts';
import { feedMigrationsFolder } from '../src/db/migrate.ts';
import { createFeedDeps, type FeedDeps } from '../src/deps.ts';
import { startFeedService } from '../src/service.ts';

/**
 * The feed subgraph with the real social-graph and media subgraphs beside it, each on a fresh
 * database. Follows and posts are seeded straight into those services' tables (thousands of
 * followers through GraphQL would test only patience); everything the feed does goes over HTTP.
 */
export interface FeedHarness {
  config: FeedConfig;
  deps: FeedDeps;
  database: FeedDatabase;
  redis: Redis;
  socialGraph: RunningSubgraph;
  media: RunningSubgraph;
  feed: RunningSubgraph;
  call(query: string, variables?: Record<string, unknown>, viewerId?: string | null): Promise<GraphQLResponse<Record<string, any>>>;
  /** Seeds follow edges (and counters) in social-graph. */
  follow(followerIds: string[], followeeId: string): Promise<void>;
  unfollow(followerId: string, followeeId: string): Promise<void>;
  /** Seeds a published post in media; returns its id and time for a post.created event. */
  post(authorId: string, createdAt?: Date): Promise<{ postId: string; authorId: string; createdAt: string }>;
  /** Deletes a post in media (as deletePost would), before the feed hears of it. */
  deleteInMedia(postId: string): Promise<void>;
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
  const database = async (folder: string) => {
    const created = await createTestDatabase(folder);
    databases.push(created);
    return created.url;
  };
  const socialGraphUrl = await database(socialGraphMigrationsFolder);
  const mediaUrl = await database(mediaMigrationsFolder);
  const common = { GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
  const socialGraph = await startSocialGraphService(
    loadSocialGraphConfig({ ...common, SOCIAL_GRAPH_DATABASE_URL: socialGraphUrl, SOCIAL_GRAPH_PORT: '0' }),
  );
  const storageDir = mkdtempSync(join(tmpdir(), 'shutter-feed-media-'));
  const media = await startMediaService(
    loadMediaConfig({ ...common, MEDIA_DATABASE_URL: mediaUrl, MEDIA_PORT: '0', MEDIA_STORAGE_DIR: storageDir }),
    { logger: pino({ level: 'silent' }) },
  );
  const config = loadFeedConfig({
    ...common,
    FEED_DATABASE_URL: await database(feedMigrationsFolder),
    FEED_PORT: '0',
    SOCIAL_GRAPH_URL: `${socialGraph.url}/graphql`,
    MEDIA_URL: `${media.url}/graphql`,
    ...options.env,
  });
  const feed = await startFeedService(config, { logger: pino({ level: 'silent' }) });
  const redis = new Redis(testRedisUrl());
  const feedDatabase = createFeedDatabase(config.FEED_DATABASE_URL);
  const deps = createFeedDeps(config, feedDatabase.db, redis);
  const socialGraphSql = postgres(socialGraphUrl, { max: 2, onnotice: () => {} });
  const mediaSql = postgres(mediaUrl, { max: 2, onnotice: () => {} });
  const call: FeedHarness['call'] = (query, variables, viewerId) =>
    signedGraphql(`${feed.url}/graphql`, secrets.GATEWAY_SIGNING_SECRET, { query, variables, viewerId });

  const flushRedis = () => dropRedisPrefix(prefix);

  return {
    config,
    deps,
    database: feedDatabase,
    redis,
    socialGraph,
    media,
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
      const postId = newId();
      await mediaSql`insert into posts (id, author_id, status, created_at) values (${postId}, ${authorId}, 'published', ${createdAt})`;
      return { postId, authorId, createdAt: createdAt.toISOString() };
    },
    async deleteInMedia(postId) {
      await mediaSql`delete from posts where id = ${postId}`;
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
      await media.close();
      await socialGraph.close();
      await Promise.all([socialGraphSql.end(), mediaSql.end(), feedDatabase.close()]);
      await flushRedis();
      redis.disconnect();
      rmSync(storageDir, { recursive: true, force: true });
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
