/**
 * The seeded data the workloads run on, deterministic from `--seed` (a seeded PRNG, sfc32):
 *  - 10,000 full accounts (username, display name, bio, posts) and 100,000 light ones (a username,
 *    nothing else). The issue asks 10,000 users with a few accounts followed by 100,000: that many
 *    followers need that many accounts, so the light accounts are the crowd that follows; the
 *    full ones are who a workload reads as and about.
 *  - A power-law follower graph (Zipf, s = 1): the 3 largest accounts have 100,000 followers, the
 *    account of rank r about 100,000 / r (tens to hundreds for most), ~1M edges in all.
 *  - 100,000 posts by full accounts (more by the larger ones), 1-3 images each, likes and comments
 *    by full accounts. 24 distinct photos are rendered once through media's own image code and
 *    every image row reuses their stored variants (sharp is not run 100,000 times).
 * Each service's rows go through that service's own bulk seed module (subgraphs/<service>/src/
 * seed.ts: bulk inserts into its own tables, its counters set to match); the feed's timelines are built by
 * the feed's own rebuild path on a viewer's first read (from the posts and celebrities its seed module wrote). `--scale 0.1` makes everything 10x smaller.
 *
 * The seeded installation's data directory (Postgres cluster, media files, secrets) is cached under
 * `.data/bench-seed/<key>/`, the key a hash of the seed, the scale, this generator, the seed
 * modules and every service's migrations: a rerun copies it instead of seeding again.
 *   npx tsx bench/seed.ts [--seed 1] [--scale 1]    (fills the cache, or reports that it is warm)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import sharp from 'sharp';
import { bulkInsertFeedPosts } from '../subgraphs/feed/src/seed.ts';
import { bulkInsertPosts, renderSeedPhotos, type SeedPost } from '../subgraphs/media/src/seed.ts';
import { LocalStorage } from '../subgraphs/media/src/storage/index.ts';
import { bulkInsertFollows, type SeedFollow } from '../subgraphs/social-graph/src/seed.ts';
import { bulkInsertUsers, type SeedUser } from '../subgraphs/users/src/seed.ts';
import { startInstallation, type Installation } from './installation.ts';
import { cleanRedisPrefix, progress, round, writeResults } from './lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.data', 'bench-seed');
const PHOTOS = 24;
export const SEED_PASSWORD = 'bench password 1';

/** sfc32: a small, fast PRNG with a 128-bit state; the same seed gives the same stream everywhere. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** A version-4-shaped UUID from the PRNG: deterministic ids. */
const uuidFrom = (random: () => number): string => {
  const hex = Array.from({ length: 4 }, () => Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** One line per step; while a step runs, a bar redrawn in place (on a terminal) or every 25%. */
function bar(label: string, total: number) {
  let shown = -1;
  return (done: number) => {
    const percent = Math.floor((100 * done) / Math.max(1, total));
    const step = process.stderr.isTTY ? percent : Math.floor(percent / 25) * 25;
    if (step === shown) return;
    shown = step;
    const filled = Math.round(percent / 5);
    const line = `  ${label} [${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${percent}% (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')})`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${done >= total ? '\n' : ''}`);
    else progress(line);
  };
}

export interface Dataset {
  seed: number;
  scale: number;
  counts: { fullAccounts: number; lightAccounts: number; follows: number; posts: number; images: number; likes: number; comments: number };
  /** Full accounts whose followees have at least 20 posts: home-feed readers. */
  viewers: { id: string; username: string }[];
  /** Full accounts with at least 12 posts: profile pages with a full grid. */
  profiles: { id: string; username: string; posts: number }[];
  /** The largest accounts and their follower counts. */
  largest: { id: string; username: string; followers: number }[];
  followerCounts: { median: number; p90: number; max: number };
}

interface Generated {
  users: SeedUser[];
  /** Every full account's follower count. */
  followerCounts: { userId: string; followerCount: number }[];
  follows: SeedFollow[];
  posts: SeedPost[];
  dataset: Omit<Dataset, 'counts'> & { counts: Omit<Dataset['counts'], 'images' | 'likes' | 'comments'> };
}

/** The whole graph, from the seed alone. */
export function generate(seed: number, scale: number): Generated {
  const random = prng(seed);
  const fullCount = Math.round(10_000 * scale);
  const lightCount = Math.round(100_000 * scale);
  const biggest = Math.round(100_000 * scale);
  const base = Date.UTC(2026, 9, 1);
  const users: SeedUser[] = [];
  for (let i = 0; i < fullCount + lightCount; i++) {
    const full = i < fullCount;
    const username = full ? `user${i}` : `light${i - fullCount}`;
    users.push({
      id: uuidFrom(random),
      username,
      email: `${username}@bench.example`,
      displayName: full ? `User ${i}` : null,
      bio: full ? `Seeded account ${i}: photos of places, food and friends.` : null,
      createdAt: new Date(base + i * 1000),
    });
  }
  // Zipf followers: rank r (0-based) has biggest / (r + 1), the first 3 exactly `biggest`, at least 3.
  const followers: number[] = Array.from({ length: fullCount }, (_, r) => (r < 3 ? biggest : Math.max(3, Math.round(biggest / (r + 1)))));
  const follows: SeedFollow[] = [];
  const followeesOf: number[][] = Array.from({ length: fullCount }, () => []);
  let followAt = base + 86_400_000;
  for (let r = 0; r < fullCount; r++) {
    const chosen = new Set<number>();
    const pool = users.length;
    while (chosen.size < Math.min(followers[r]!, pool - 1)) {
      const f = Math.floor(random() * pool);
      if (f !== r) chosen.add(f);
    }
    for (const f of chosen) {
      follows.push({ followerId: users[f]!.id, followeeId: users[r]!.id, createdAt: new Date(followAt++) });
      if (f < fullCount) followeesOf[f]!.push(r);
    }
  }
  // Posts: larger accounts post more (author rank drawn with density ~ 1/sqrt(rank)).
  const postCount = Math.round(100_000 * scale);
  const postsOf: number[] = new Array(fullCount).fill(0);
  const posts: SeedPost[] = [];
  const postBase = Date.UTC(2026, 10, 1);
  for (let i = 0; i < postCount; i++) {
    const author = Math.min(fullCount - 1, Math.floor(random() ** 2 * fullCount));
    postsOf[author]!++;
    const createdAt = new Date(postBase + Math.floor(random() * 30 * 86_400_000));
    const imageCount = 1 + (random() < 0.3 ? 1 : 0) + (random() < 0.1 ? 1 : 0);
    const images = Array.from({ length: imageCount }, () => ({ id: uuidFrom(random), photo: Math.floor(random() * PHOTOS) }));
    // Likes and comments by full accounts: exponential counts, means 5 and 1.
    const likers = new Set<string>();
    const likeCount = Math.min(fullCount - 1, Math.floor(-Math.log(1 - random()) * 5));
    while (likers.size < likeCount) likers.add(users[Math.floor(random() * fullCount)]!.id);
    const commentCount = Math.floor(-Math.log(1 - random()));
    const comments = Array.from({ length: commentCount }, (_, k) => ({
      id: uuidFrom(random),
      authorId: users[Math.floor(random() * fullCount)]!.id,
      text: `comment ${k} on post ${i}`,
      createdAt: new Date(createdAt.getTime() + (k + 1) * 60_000),
    }));
    posts.push({ id: uuidFrom(random), authorId: users[author]!.id, caption: `post ${i} by user${author}`, createdAt, images, likedBy: [...likers], comments });
  }
  const viewers = followeesOf
    .map((followees, i) => ({ i, feedPosts: followees.reduce((n, r) => n + postsOf[r]!, 0) }))
    .filter((v) => v.feedPosts >= 20)
    .map((v) => ({ id: users[v.i]!.id, username: users[v.i]!.username }));
  const profiles = postsOf.flatMap((n, i) => (n >= 12 ? [{ id: users[i]!.id, username: users[i]!.username, posts: n }] : []));
  const sorted = [...followers].sort((a, b) => a - b);
  return {
    users,
    followerCounts: followers.map((followerCount, r) => ({ userId: users[r]!.id, followerCount })),
    follows,
    posts,
    dataset: {
      seed,
      scale,
      counts: { fullAccounts: fullCount, lightAccounts: lightCount, follows: follows.length, posts: posts.length },
      viewers,
      profiles,
      largest: followers.slice(0, 5).map((n, r) => ({ id: users[r]!.id, username: users[r]!.username, followers: n })),
      followerCounts: { median: sorted[Math.floor(sorted.length / 2)]!, p90: sorted[Math.floor(sorted.length * 0.9)]!, max: sorted.at(-1)! },
    },
  };
}

/** The 24 originals: distinct photo-like JPEGs (a gradient sky, a sun, hills), 1200x900. */
async function originals(random: () => number): Promise<{ id: string; bytes: Buffer }[]> {
  return Promise.all(
    Array.from({ length: PHOTOS }, async (_, i) => {
      const hue = Math.floor(random() * 360);
      const sun = { x: 200 + Math.floor(random() * 800), y: 100 + Math.floor(random() * 300), r: 40 + Math.floor(random() * 80) };
      const svg = `<svg width="1200" height="900" xmlns="http://www.w3.org/2000/svg">
        <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl(${hue},70%,60%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},60%,30%)"/></linearGradient></defs>
        <rect width="1200" height="900" fill="url(#g)"/><circle cx="${sun.x}" cy="${sun.y}" r="${sun.r}" fill="hsl(50,90%,80%)"/>
        <path d="M0 700 Q 300 ${500 + (i % 5) * 30} 600 680 T 1200 650 V 900 H 0 Z" fill="hsl(${(hue + 120) % 360},40%,25%)"/></svg>`;
      return { id: uuidFrom(random), bytes: await sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer() };
    }),
  );
}

/** Everything seeded into a running installation, each service through its own seed module. */
async function seedInto(installation: Installation, seed: number, scale: number): Promise<Dataset> {
  let t = performance.now();
  const step = (what: string) => {
    progress(`  ${what} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
  };
  const generated = generate(seed, scale);
  step(`generated ${generated.users.length.toLocaleString('en-US')} accounts, ${generated.follows.length.toLocaleString('en-US')} follows, ${generated.posts.length.toLocaleString('en-US')} posts`);
  const database = (name: string) => postgres(installation.postgresUrl(name), { max: 1, onnotice: () => {} });
  /** The items, with a progress bar as the inserts consume them. */
  const ticking = function* <T>(label: string, items: T[]) {
    const show = bar(label, items.length);
    for (const [i, item] of items.entries()) {
      if (i % 10_000 === 0) show(i);
      yield item;
    }
    show(items.length);
  };
  const chunked = async <T>(label: string, items: T[], size: number, write: (chunk: T[]) => Promise<unknown>) => {
    const show = bar(label, items.length);
    show(0);
    for (let i = 0; i < items.length; i += size) {
      await write(items.slice(i, i + size));
      show(Math.min(items.length, i + size));
    }
  };
  const usersSql = database('shutter_users');
  const socialSql = database('shutter_social_graph');
  const mediaSql = database('shutter_media');
  try {
    await bulkInsertUsers(usersSql, ticking('users', generated.users), SEED_PASSWORD);
    step('users (users/src/seed.ts)');
    await bulkInsertFollows(socialSql, ticking('follows', generated.follows));
    step('follows and follow counts (social-graph/src/seed.ts)');
    const photos = await renderSeedPhotos(new LocalStorage(join(installation.dataDir, 'media')), await originals(prng(seed ^ 0x5eed)));
    step(`${PHOTOS} photos rendered through media's renderVariants and stored`);
    let totals = { images: 0, likes: 0, comments: 0 };
    await chunked('posts', generated.posts, 10_000, async (chunk) => {
      const written = await bulkInsertPosts(mediaSql, photos, chunk);
      totals = { images: totals.images + written.images, likes: totals.likes + written.likes, comments: totals.comments + written.comments };
    });
    step('posts, images, likes, comments and counts (media/src/seed.ts)');
    const feedSql = database('shutter_feed');
    try {
      const feed = await bulkInsertFeedPosts(feedSql, generated.posts.map((p) => ({ postId: p.id, authorId: p.authorId, createdAt: p.createdAt })), generated.followerCounts);
      step(`the feed's posts and its ${feed.celebrities} celebrities (feed/src/seed.ts)`);
    } finally {
      await feedSql.end({ timeout: 5 });
    }
    return { ...generated.dataset, counts: { ...generated.dataset.counts, ...totals } };
  } finally {
    await Promise.all([usersSql, socialSql, mediaSql].map((s) => s.end({ timeout: 5 })));
  }
}

/** The cache key: what the seeded data depends on. */
function cacheKey(seed: number, scale: number): string {
  const hash = createHash('sha256').update(JSON.stringify({ seed, scale }));
  const files = [
    'bench/seed.ts',
    'packages/db/src/bulk-insert.ts',
    ...['users', 'social-graph', 'media', 'feed'].map((s) => `subgraphs/${s}/src/seed.ts`),
    ...['users', 'social-graph', 'media', 'feed'].flatMap((s) =>
      readdirSync(join(ROOT, 'subgraphs', s, 'migrations'))
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => `subgraphs/${s}/migrations/${f}`),
    ),
  ];
  for (const f of files) hash.update(f).update(readFileSync(join(ROOT, f)));
  return hash.digest('hex').slice(0, 16);
}

export interface Seeded {
  installation: Installation;
  /** With the seconds the seeding took when it was made (seedSeconds). */
  dataset: Dataset & { seedSeconds: number };
  /** Seconds to seed (null when the cache was warm) and to start from the cache. */
  seedSeconds: number | null;
  startSeconds: number;
  cacheDir: string;
}

/**
 * An installation (installation.ts) on the seeded data: seeded once into a first installation
 * that is then stopped and kept as the cache, and every run starts on a copy of it.
 */
export async function seededInstallation(name: string, options: { portBase: number; seed?: number; scale?: number; env?: Record<string, string> }): Promise<Seeded> {
  const seed = options.seed ?? Number(process.env.BENCH_SEED ?? 1);
  const scale = options.scale ?? Number(process.env.BENCH_SEED_SCALE ?? 1);
  const cacheDir = join(CACHE, `seed${seed}-scale${scale}-${cacheKey(seed, scale)}`);
  let seedSeconds: number | null = null;
  if (!existsSync(join(cacheDir, 'dataset.json'))) {
    progress(`seeding (seed ${seed}, scale ${scale}) into a new installation; cached in ${cacheDir}…`);
    const t = performance.now();
    // Caches of this seed and scale under another key are stale (the generator or a migration changed).
    if (existsSync(CACHE)) for (const old of readdirSync(CACHE)) if (old.startsWith(`seed${seed}-scale${scale}-`)) rmSync(join(CACHE, old), { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    const seeding = await startInstallation(`${name}-seed`, { portBase: options.portBase, env: options.env });
    let dataset: Dataset;
    try {
      dataset = await seedInto(seeding, seed, scale);
    } catch (e) {
      await seeding.stop();
      await cleanRedisPrefix(seeding.redisUrl, seeding.prefix);
      rmSync(cacheDir, { recursive: true, force: true });
      throw e;
    }
    await seeding.stop({ keepAs: join(cacheDir, 'data') });
    await cleanRedisPrefix(seeding.redisUrl, seeding.prefix);
    seedSeconds = round((performance.now() - t) / 1000, 1);
    // Written last: its presence says the cache is whole.
    writeFileSync(join(cacheDir, 'dataset.json'), JSON.stringify({ ...dataset, seedSeconds }) + '\n');
    progress(`seeded in ${seedSeconds} s`);
  }
  const dataset = JSON.parse(readFileSync(join(cacheDir, 'dataset.json'), 'utf8')) as Dataset & { seedSeconds: number };
  const t = performance.now();
  const installation = await startInstallation(name, { portBase: options.portBase, env: options.env, from: join(cacheDir, 'data') });
  const startSeconds = round((performance.now() - t) / 1000, 1);
  progress(`${name}: started on the seeded data (seed ${seed}, scale ${scale}) in ${startSeconds} s${seedSeconds === null ? ' (cache warm)' : ''}`);
  return { installation, dataset, seedSeconds, startSeconds, cacheDir };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const seeded = await seededInstallation('seed', { portBase: 4500, seed: arg('--seed'), scale: arg('--scale') });
  const { counts, followerCounts, largest, viewers, profiles } = seeded.dataset;
  progress(`dataset: ${JSON.stringify(counts)}; followers median ${followerCounts.median}, p90 ${followerCounts.p90}, max ${followerCounts.max}; largest ${largest.map((l) => l.followers).join(', ')}`);
  progress(`  ${viewers.length.toLocaleString('en-US')} home-feed viewers, ${profiles.length.toLocaleString('en-US')} full profile grids`);
  progress(`seed: ${seeded.seedSeconds === null ? 'cache warm' : `seeded cold in ${seeded.seedSeconds} s`}; started from the cache in ${seeded.startSeconds} s`);
  await seeded.installation.stop();
  await cleanRedisPrefix(seeded.installation.redisUrl, seeded.installation.prefix);
  const workload = `seed ${seeded.dataset.seed}, scale ${seeded.dataset.scale}`;
  writeResults(
    'seed',
    [
      // Cold: measured when the cache was made (this run, or the run that made it).
      { workload, metric: `seeding cold${seeded.seedSeconds === null ? ' (when the cache was made)' : ''}`, value: seeded.dataset.seedSeconds, unit: 's' },
      { workload, metric: 'an installation started on the cached seed (warm)', value: seeded.startSeconds, unit: 's' },
      { workload, metric: 'full accounts', value: counts.fullAccounts, unit: '' },
      { workload, metric: 'light accounts (followers only)', value: counts.lightAccounts, unit: '' },
      { workload, metric: 'follows', value: counts.follows, unit: '' },
      { workload, metric: 'followers of a full account, median', value: followerCounts.median, unit: '' },
      { workload, metric: 'followers of a full account, p90', value: followerCounts.p90, unit: '' },
      { workload, metric: 'followers of the largest accounts', value: followerCounts.max, unit: '' },
      ...(['posts', 'images', 'likes', 'comments'] as const).map((k) => ({ workload, metric: k, value: counts[k], unit: '' })),
    ],
    { dataset: { ...seeded.dataset, viewers: viewers.length, profiles: profiles.length }, seededThisRun: seeded.seedSeconds !== null, cacheDir: seeded.cacheDir },
  );
}
