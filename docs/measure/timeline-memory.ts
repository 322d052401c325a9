// For docs/scaling.md: the memory of real timelines (TimelineStore, the feed's own code) at 800
// entries, in the Redis at REDIS_URL (default :6379) under a prefix of its own, deleted afterwards.
//   npx tsx docs/measure/timeline-memory.ts
import { Redis } from 'ioredis';
import { newId as uuidv7 } from '../../packages/db/src/ids.ts';
import { TimelineStore } from '../../subgraphs/feed/src/timelines.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `scaling-measure-${process.pid}`;
const store = new TimelineStore(redis, { prefix, maxPosts: 800, ttlSeconds: 3600, liveChannelPrefix: `${prefix}:live:` } as never);
const users = Array.from({ length: 1000 }, () => uuidv7());
for (const u of users) await store.rebuild(u, async () => []);
const t0 = Date.now();
for (let i = 0; i < 900; i++) await store.addToMany(users, { postId: uuidv7(), score: t0 + i });
const sizes: number[] = [];
for (const u of users) sizes.push(Number(await redis.memory('USAGE', store.key(u), 'SAMPLES', '0')));
const card = await redis.zcard(store.key(users[0]!));
const encoding = await redis.object('ENCODING', store.key(users[0]!));
const info = await redis.info('memory');
sizes.sort((a, b) => a - b);
console.log(JSON.stringify({ timelines: users.length, entries: card, encoding, bytesP50: sizes[500], bytesMean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length), maxmemoryPolicy: (await redis.config('GET', 'maxmemory-policy'))[1], redisVersion: /redis_version:(\S+)/.exec(await redis.info('server'))?.[1], allocator: /mem_allocator:(\S+)/.exec(info)?.[1] }));
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  if (keys.length) await redis.del(...keys);
  cursor = next;
} while (cursor !== '0');
redis.disconnect();
