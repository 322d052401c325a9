/**
 * Media: (1) image processing throughput on a 12-megapixel JPEG: the worker's whole job (read the
 * original from storage, render, write 6 variants, database, publish) against sharp called
 * directly for the same outputs (PERFORMANCE.md: the job >= 80% of direct); (2) the Post
 * `_entities` latency for batches of 20 and 100 over signed HTTP, against one `= ANY($1)` query
 * on the same table (target <= 2x).
 *   npx tsx bench/media.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import sharp from 'sharp';
import { pino } from 'pino';
import { signRequest } from '@shutter/auth';
import { loadMediaConfig, mediaDatabase, renderVariants, startMediaService } from '@shutter/media';
import { processUpload } from '../subgraphs/media/src/processing.ts';
import { LocalStorage } from '../subgraphs/media/src/storage/index.ts';
import { benchInfra, dropDatabase, freshDatabase, progress, round, timeIt, writeResults } from './lib.ts';

sharp.concurrency(0);
const { pg, redis } = await benchInfra();
const dbName = 'bench_media';
const url = await freshDatabase(pg.adminUrl, dbName, mediaDatabase);
const storageDir = mkdtempSync(join(tmpdir(), 'bench-media-'));
const storage = new LocalStorage(storageDir);
const database = mediaDatabase.connect(url, { max: 4 });
const sql = postgres(url, { max: 1, onnotice: () => {} });
const log = pino({ level: 'silent' });

progress('making a 12-megapixel photo-like JPEG…');
const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 120, sigma: 40 } } })
  .blur(1.2)
  .withMetadata({ orientation: 1 })
  .jpeg({ quality: 90 })
  .toBuffer();
progress(`photo: 4000x3000, ${(photo.length / 1e6).toFixed(1)} MB`);

/** sharp on its own, for the same outputs: decode at 1080 (shrink-on-load), 3 widths x WebP + JPEG, blurhash input. */
async function directSharp() {
  const raw = await sharp(photo).rotate().resize({ width: 1080 }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const input = { raw: { width: raw.info.width, height: raw.info.height, channels: 4 as const } };
  for (const width of [1080, 640, 320]) {
    await sharp(raw.data, input).resize({ width }).webp({ quality: 80, effort: 2 }).toBuffer();
    await sharp(raw.data, input).resize({ width }).flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: true }).toBuffer();
  }
  await sharp(raw.data, input).resize(32, 32, { fit: 'inside' }).raw().toBuffer();
}

const ROUNDS = 12;
async function throughput(label: string, run: (i: number) => Promise<unknown>) {
  await run(-1);
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) await run(i);
  const seconds = (performance.now() - started) / 1000;
  progress(`${label}: ${(ROUNDS / seconds).toFixed(2)} images/s`);
  return round(ROUNDS / seconds);
}

const direct = await throughput('sharp directly', () => directSharp());
const render = await throughput('renderVariants', () => renderVariants(photo, randomUUID(), 100_000_000));
// The worker's whole job: the original in storage, an upload row in `received`, then processUpload.
const uploadIds = await Promise.all(
  Array.from({ length: ROUNDS + 1 }, async () => {
    const id = randomUUID();
    await storage.put(`originals/${id}`, photo, 'image/jpeg');
    await sql`insert into uploads (id, owner_id, declared_content_type, declared_byte_size, status, format, byte_size, original_key, expires_at)
              values (${id}, ${randomUUID()}, 'image/jpeg', ${photo.length}, 'received', 'image/jpeg', ${photo.length}, ${`originals/${id}`}, now() + interval '1 hour')`;
    return id;
  }),
);
const job = await throughput('processUpload (the job)', (i) => processUpload({ db: database.db, storage, maxInputPixels: 100_000_000, log }, uploadIds[i + 1]!));

progress('seeding 1,000 posts for _entities…');
const authors = Array.from({ length: 50 }, () => randomUUID());
await sql`
  insert into images (id, width, height, blurhash, variants)
  select gen_random_uuid(), 1080, 810, 'LZJ;Trsq}3$esqfRoHjs]voIE;WY',
         '[{"key":"images/x/1080.webp","width":1080,"height":810,"contentType":"image/webp"}]'::jsonb
  from generate_series(1, 1000)`;
await sql`
  with numbered as (select id, row_number() over () as n from images where blurhash = 'LZJ;Trsq}3$esqfRoHjs]voIE;WY')
  insert into posts (id, author_id, caption, status, like_count, created_at)
  select gen_random_uuid(), (${authors}::uuid[])[1 + n % 50], 'caption ' || n, 'published', n % 40, now() - n * interval '1 minute' from numbered`;
await sql`
  with p as (select id, row_number() over (order by id) as n from posts), i as (select id, row_number() over (order by id) as n from images where blurhash = 'LZJ;Trsq}3$esqfRoHjs]voIE;WY')
  insert into post_images (post_id, position, image_id) select p.id, 0, i.id from p join i using (n)`;
await sql`analyze`;
const postIds = (await sql<{ id: string }[]>`select id from posts order by random()`).map((r) => r.id);

const secret = randomBytes(32).toString('base64url');
const service = await startMediaService(
  loadMediaConfig({ MEDIA_DATABASE_URL: url, MEDIA_PORT: '0', GATEWAY_SIGNING_SECRET: secret, REDIS_URL: redis.url, MEDIA_STORAGE_DIR: storageDir }),
  { logger: log },
);
const viewerId = authors[0]!;
const FULL = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { id caption likeCount commentCount viewerHasLiked createdAt media { url width height blurhash } } } }';
const IDS_ONLY = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { id likeCount } } }';
const signedPost = async (payload: object) => {
  const body = JSON.stringify(payload);
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(secret, { viewerId, requestId: randomUUID(), body }) },
    body,
  });
  return response.json() as Promise<any>;
};
const entities = async (ids: string[], query = FULL) => {
  const body = JSON.stringify({
    query,
    variables: { r: ids.map((id) => ({ __typename: 'Post', id })) },
  });
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(secret, { viewerId, requestId: randomUUID(), body }) },
    body,
  });
  const json = (await response.json()) as { data: { _entities: unknown[] } };
  if (json.data._entities.length !== ids.length) throw new Error('wrong batch');
};
const anyQuery = (ids: string[]) => sql`select * from posts where id = any(${ids}::uuid[])`;
let offset = 0;
const nextIds = (n: number) => {
  offset = (offset + n) % (postIds.length - n);
  return postIds.slice(offset, offset + n);
};
const results: Record<string, unknown> = {};
// The floor of any request: HTTP, the signature check, Apollo Server, no resolver and no SQL.
const floor = await timeIt(300, () => signedPost({ query: '{ __typename }' }));
progress(`floor ({ __typename } over signed HTTP): p50 ${floor.p50} ms`);
results.requestFloorMs = floor;
for (const size of [20, 100]) {
  const http = await timeIt(300, () => entities(nextIds(size)));
  const lean = await timeIt(300, () => entities(nextIds(size), IDS_ONLY));
  const baseline = await timeIt(300, () => anyQuery(nextIds(size)));
  results[`batch${size}`] = {
    entitiesMs: http,
    entitiesOneTableMs: lean,
    anyQueryMs: baseline,
    ratioP50: round(http.p50 / baseline.p50),
    // What resolution adds over the bare request: one query per table plus graphql-js.
    overFloorP50Ms: round(http.p50 - floor.p50),
    oneTableOverFloorP50Ms: round(lean.p50 - floor.p50),
  };
  progress(`_entities x${size}: p50 ${http.p50} ms (one table: ${lean.p50} ms), p99 ${http.p99} ms; one = ANY query p50 ${baseline.p50} ms`);
}

const summary = {
  date: new Date().toISOString(),
  machine: '2 cores (node-svc)',
  photo: { width: 4000, height: 3000, bytes: photo.length },
  imagesPerSecond: { sharpDirect: direct, renderVariants: render, processUploadJob: job, jobOverDirect: round(job / direct) },
  postEntities: results,
};
console.log(JSON.stringify(summary, null, 2));
const batch = (size: number) => results[`batch${size}`] as { entitiesMs: { p50: number }; anyQueryMs: { p50: number }; ratioP50: number };
writeResults(
  'media',
  [
    { workload: 'image processing, 12 MP JPEG', metric: 'sharp directly', value: direct, unit: 'images/s' },
    { workload: 'image processing, 12 MP JPEG', metric: 'the worker job', value: job, unit: 'images/s' },
    { workload: 'image processing, 12 MP JPEG', metric: 'job / direct', value: round(job / direct), unit: 'x', target: '>= 0.8x', met: job / direct >= 0.8 },
    ...[20, 100].flatMap((size) => [
      { workload: `Post _entities x${size}`, metric: 'p50', value: batch(size).entitiesMs.p50, unit: 'ms' },
      { workload: `Post _entities x${size}`, metric: '/ one = ANY query, p50', value: batch(size).ratioP50, unit: 'x', target: '<= 2x', met: batch(size).ratioP50 <= 2 },
    ]),
  ],
  summary,
);

await service.close();
await database.close();
await sql.end();
rmSync(storageDir, { recursive: true, force: true });
await dropDatabase(pg.adminUrl, dbName);
await redis.stop();
await pg.stop();
