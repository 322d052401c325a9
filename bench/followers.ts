/**
 * One user with 1,000,000 followers: the first and the last page of `followers` (20), and paging
 * every follower id through social-graph's internal endpoint (pages of 1,000), as the feed's
 * fan-out does. Target (PERFORMANCE.md): both pages < 10 ms.
 *   npx tsx bench/followers.ts [--followers 1000000]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { pino } from 'pino';
import { signRequest } from '@shutter/auth';
import { followerIdsEndpoint } from '@shutter/contracts';
import { timeIdCursor } from '@shutter/service';
import { loadSocialGraphConfig, socialGraphDatabase, startSocialGraphService } from '@shutter/social-graph';
import { benchInfra, dropDatabase, freshDatabase, progress, round, timeIt, writeResults } from './lib.ts';

const count = Number(process.argv[process.argv.indexOf('--followers') + 1] || 0) || 1_000_000;
const { pg, redis } = await benchInfra();
const dbName = 'bench_social_graph';
const url = await freshDatabase(pg.adminUrl, dbName, socialGraphDatabase);
const sql = postgres(url, { max: 1, onnotice: () => {} });
const target = randomUUID();

progress(`seeding ${count.toLocaleString()} followers…`);
let started = performance.now();
await sql`
  insert into follows (follower_id, followee_id, created_at)
  select gen_random_uuid(), ${target}::uuid, timestamptz '2026-01-01' + i * interval '1 millisecond'
  from generate_series(1, ${count}::int) as i`;
await sql`insert into follow_counts (user_id, follower_count) values (${target}, ${count})`;
await sql`analyze follows`;
progress(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// The cursor just before the oldest 20: the page after it is the last page.
const [edge] = await sql<{ created_at: Date; follower_id: string }[]>`
  select created_at, follower_id from follows where followee_id = ${target}
  order by created_at, follower_id offset 20 limit 1`;
const lastPageCursor = timeIdCursor.encode([edge!.created_at.getTime(), edge!.follower_id]);

const secret = randomBytes(32).toString('base64url');
const service = await startSocialGraphService(
  loadSocialGraphConfig({ SOCIAL_GRAPH_DATABASE_URL: url, SOCIAL_GRAPH_PORT: '0', GATEWAY_SIGNING_SECRET: secret, REDIS_URL: redis.url }),
  { logger: pino({ level: 'silent' }) },
);
const signedPost = async (path: string, payload: unknown) => {
  const body = JSON.stringify(payload);
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(secret, { viewerId: null, requestId: randomUUID(), body }) },
    body,
  });
  return response.json() as Promise<any>;
};
const followersPage = (after: string | null) =>
  signedPost('/graphql', {
    query: 'query($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on User { followers(first: 20, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage } } } } }',
    variables: { r: [{ __typename: 'User', id: target }], after },
  });

const lastPage = await followersPage(lastPageCursor);
if (lastPage.data._entities[0].followers.edges.length !== 20 || lastPage.data._entities[0].followers.pageInfo.hasNextPage) {
  throw new Error(`the last page is not the last 20: ${JSON.stringify(lastPage).slice(0, 300)}`);
}

progress('timing pages (HTTP to the subgraph: signature check, GraphQL, SQL)…');
const first = await timeIt(300, () => followersPage(null));
const last = await timeIt(300, () => followersPage(lastPageCursor));
const explain = await sql.unsafe(
  `explain analyze select follower_id, created_at from follows where followee_id = '${target}'
   and (created_at, follower_id) < ('${edge!.created_at.toISOString()}'::timestamptz, '${edge!.follower_id}'::uuid)
   order by created_at desc, follower_id desc limit 21`,
);
const plan = explain.map((row) => Object.values(row)[0] as string);

progress('paging every follower id through the internal endpoint…');
started = performance.now();
let ids = 0;
let pages = 0;
let after: string | null = null;
do {
  const page = await signedPost(followerIdsEndpoint.path, { userId: target, limit: 1000, after });
  ids += page.ids.length;
  pages++;
  after = page.nextCursor;
} while (after);
const allIdsMs = performance.now() - started;
if (ids !== count) throw new Error(`paged ${ids} ids, expected ${count}`);

const results = {
  date: new Date().toISOString(),
  machine: '2 cores (node-svc)',
  followers: count,
  firstPageMs: first,
  lastPageMs: last,
  lastPagePlan: plan.filter((line) => /Index|Execution/.test(line)).map((l) => l.trim()),
  allFollowerIds: { pages, ms: round(allIdsMs, 0), idsPerSecond: Math.round(ids / (allIdsMs / 1000)), msPerPage: round(allIdsMs / pages) },
};
console.log(JSON.stringify(results, null, 2));
const workload = `followers of a user with ${count.toLocaleString('en-US')}`;
writeResults(
  'followers',
  [
    { workload, metric: 'first page of 20, p50', value: first.p50, unit: 'ms' },
    { workload, metric: 'first page of 20, p99', value: first.p99, unit: 'ms', target: '< 10 ms', met: first.p99 < 10 },
    { workload, metric: 'last page of 20, p50', value: last.p50, unit: 'ms' },
    { workload, metric: 'last page of 20, p99', value: last.p99, unit: 'ms', target: '< 10 ms', met: last.p99 < 10 },
    { workload, metric: 'every follower id, pages of 1,000', value: results.allFollowerIds.ms, unit: 'ms' },
  ],
  results,
);

await service.close();
await sql.end();
await dropDatabase(pg.adminUrl, dbName);
await redis.stop();
await pg.stop();
