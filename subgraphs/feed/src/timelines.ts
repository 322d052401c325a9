import { liveEvent } from '@shutter/contracts';
import type { Result } from 'ioredis';
import { groupBySlot, type RedisClient } from '@shutter/events';

/** A post in a timeline: its id, and its time in ms (the score). */
export interface TimelineEntry {
  postId: string;
  score: number;
}

/**
 * A built timeline holds this member at score 0 (below every post, so the cap never trims it). A
 * timeline without it is missing, and is rebuilt from Postgres on its owner's next read. Redis
 * cannot hold an empty sorted set, so the marker is also what lets a timeline be empty but built.
 */
const BUILT = '~built';
/** Held while a rebuild runs: fan-out writes into it already, readers still treat it as missing. */
const BUILDING = '~building';

/**
 * Adds one post to many timelines, but only to timelines that exist (built, or being built): a
 * missing one gets the post from Postgres when it is rebuilt. Keeps the cap. For each timeline the
 * post is new to, publishes the live message on the owner's feed channel. Its keys must share a
 * hash slot on a Redis Cluster: addToMany calls it once per slot there, once in all on a server.
 * A timeline that exists holds its marker, so one ZCARD tells both whether it exists and its size
 * (the fan-out's cost is this loop: three commands per follower, not four).
 */
const ADD_TO_MANY = `
local keep = tonumber(ARGV[3]) + 1
local added = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local n = redis.call('ZCARD', key)
  if n > 0 and redis.call('ZADD', key, ARGV[1], ARGV[2]) == 1 then
    n = n + 1
    local kept = true
    if n > keep then
      redis.call('ZREMRANGEBYRANK', key, 1, n - keep)
      kept = redis.call('ZSCORE', key, ARGV[2]) ~= false
    end
    if kept then
      added = added + 1
      if ARGV[4] ~= '' then
        redis.call('PUBLISH', ARGV[4] .. string.sub(key, tonumber(ARGV[5]) + 1), ARGV[6])
      end
    end
  end
end
return added
`;

/** Adds many posts to one timeline if it exists, and keeps the cap (a follow's backfill). */
const ADD_MANY_TO_ONE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local keep = tonumber(ARGV[1]) + 1
local added = 0
for i = 2, #ARGV, 2 do
  added = added + redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
local n = redis.call('ZCARD', KEYS[1])
if n > keep then redis.call('ZREMRANGEBYRANK', KEYS[1], 1, n - keep) end
return added
`;

/**
 * Commits a rebuild, unless something that changes who the reader follows happened while it ran
 * (it took the "building" marker away): then the rebuild read a stale follow list, and is dropped.
 * ARGV: max posts, TTL seconds, then score / post id pairs.
 */
const COMMIT_REBUILD = `
if redis.call('ZSCORE', KEYS[1], '${'~building'}') == false then return 0 end
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('ZADD', KEYS[1], 0, '${'~built'}')
redis.call('ZREM', KEYS[1], '${'~building'}')
redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * An unfollow's purge: the posts out of a built timeline; a timeline still being rebuilt is
 * dropped instead (its rebuild may have read the follow before it ended), and is rebuilt again.
 */
const PURGE = `
if redis.call('ZSCORE', KEYS[1], '${'~building'}') ~= false then
  redis.call('DEL', KEYS[1])
  return -1
end
if #ARGV == 0 then return 0 end
return redis.call('ZREM', KEYS[1], unpack(ARGV))
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    timelineAddToMany(numKeys: number, ...args: (string | number)[]): Result<number, Context>;
    timelineAddManyToOne(key: string, ...args: (string | number)[]): Result<number, Context>;
    timelineCommitRebuild(key: string, ...args: (string | number)[]): Result<number, Context>;
    timelinePurge(key: string, ...args: string[]): Result<number, Context>;
  }
}

export interface TimelineSettings {
  /** Keys are `<prefix>:timeline:<userId>`. */
  prefix: string;
  maxPosts: number;
  ttlSeconds: number;
  /** Where new posts are announced per user (`<channelPrefix><userId>`); none when empty. */
  liveChannelPrefix: string;
}

/** The home timelines in Redis: sorted sets of post ids scored by time, capped, newest read first. */
export class TimelineStore {
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly settings: TimelineSettings,
  ) {
    this.keyPrefix = `${settings.prefix}:timeline:`;
    redis.defineCommand('timelineAddToMany', { lua: ADD_TO_MANY });
    redis.defineCommand('timelineAddManyToOne', { numberOfKeys: 1, lua: ADD_MANY_TO_ONE });
    redis.defineCommand('timelineCommitRebuild', { numberOfKeys: 1, lua: COMMIT_REBUILD });
    redis.defineCommand('timelinePurge', { numberOfKeys: 1, lua: PURGE });
  }

  key(userId: string): string {
    return this.keyPrefix + userId;
  }

  /**
   * The fan-out's write for a page of followers: one script call on a single server; on a cluster
   * one per hash slot among their timelines, all sent at once. Returns how many got the post.
   */
  async addToMany(userIds: string[], entry: TimelineEntry): Promise<number> {
    const message = liveEvent(entry.postId);
    const groups = groupBySlot(this.redis, userIds.map((id) => this.key(id)));
    const added = await Promise.all(
      groups.map((keys) =>
        this.redis.timelineAddToMany(keys.length, ...keys, entry.score, entry.postId, this.settings.maxPosts, this.settings.liveChannelPrefix, this.keyPrefix.length, message),
      ),
    );
    return added.reduce((sum, n) => sum + n, 0);
  }

  addManyToOne(userId: string, entries: TimelineEntry[]): Promise<number> {
    if (entries.length === 0) return Promise.resolve(0);
    return this.redis.timelineAddManyToOne(this.key(userId), this.settings.maxPosts, ...entries.flatMap((e) => [e.score, e.postId]));
  }

  /**
   * Removes posts from many timelines (ZREM of a missing key is a no-op): one pipelined batch on a
   * server; on a cluster one per hash slot (a cluster pipeline must keep to one node), sent at once.
   */
  async removeFromMany(userIds: string[], postIds: string[]): Promise<void> {
    if (postIds.length === 0) return;
    const groups = groupBySlot(this.redis, userIds.map((id) => this.key(id)));
    await Promise.all(
      groups.map((keys) => {
        const pipeline = this.redis.pipeline();
        for (const key of keys) pipeline.zrem(key, ...postIds);
        return pipeline.exec();
      }),
    );
  }

  async isBuilt(userId: string): Promise<boolean> {
    return (await this.redis.zscore(this.key(userId), BUILT)) !== null;
  }

  /**
   * Builds a missing timeline. It is marked "building" first, so that a fan-out running meanwhile
   * writes into it: a post committed after `load` read Postgres is then not lost. Returns false when
   * an unfollow dropped it meanwhile (the caller builds it again, from the follow list as it is now).
   */
  async rebuild(userId: string, load: () => Promise<TimelineEntry[]>): Promise<boolean> {
    const key = this.key(userId);
    // With its TTL at once: a rebuild that fails midway must not leave a key that lives forever.
    await this.redis.multi().zadd(key, 0, BUILDING).expire(key, this.settings.ttlSeconds).exec();
    const entries = await load();
    // The script keeps the "built" marker (rank 0) and the newest maxPosts.
    const committed = await this.redis.timelineCommitRebuild(key, this.settings.maxPosts, this.settings.ttlSeconds, ...entries.flatMap((e) => [e.score, e.postId]));
    return committed === 1;
  }

  /** An unfollow: the followee's posts out of the timeline; a timeline being rebuilt is dropped. */
  async purge(userId: string, postIds: string[]): Promise<void> {
    await this.redis.timelinePurge(this.key(userId), ...postIds);
  }

  /**
   * Entries strictly older than `before` (score, then post id, both descending), up to `count`.
   * Also renews the timeline's TTL: a timeline read stays; one nobody reads expires.
   */
  async page(userId: string, before: TimelineEntry | null, count: number): Promise<TimelineEntry[]> {
    const key = this.key(userId);
    const result: TimelineEntry[] = [];
    const batch = count + 16;
    for (let offset = 0; ; offset += batch) {
      const pipeline = this.redis.pipeline();
      pipeline.zrange(key, before ? before.score : '+inf', '(0', 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES');
      if (offset === 0) pipeline.expire(key, this.settings.ttlSeconds);
      const [[error, raw]] = (await pipeline.exec()) as [[Error | null, string[]]];
      if (error) throw error;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const entry = { postId: raw[i] as string, score: Number(raw[i + 1]) };
        // Same millisecond as the cursor: only the ids after it (REV orders equal scores by id, descending).
        if (before && entry.score === before.score && entry.postId >= before.postId) continue;
        result.push(entry);
        if (result.length === count) return result;
      }
      if (raw.length < batch * 2) return result;
    }
  }

  /** Posts out of one timeline (deleted or gone posts). */
  async remove(userId: string, postIds: string[]): Promise<void> {
    if (postIds.length > 0) await this.redis.zrem(this.key(userId), ...postIds);
  }
}
