import { LIVE_REFRESH, liveEvent } from '@shutter/contracts';
import type { Result } from 'ioredis';
import { groupBySlot, type RedisClient } from '@shutter/events';

/**
 * Which celebrities each reader follows, for the merge at read and for their live channels: a Redis
 * set per reader, derived from the celebrities table (Postgres, the one record) and the reader's
 * follows (social-graph), made on first need and kept up by follow events and promotions. Like a
 * timeline it can be lost (a flush, its TTL) and is then made again.
 *
 * Markers, as in timelines: `~built` says the set is complete (an empty set could not otherwise
 * exist); `~building` is held while it is computed, and an unfollow meanwhile drops the set instead
 * of removing one member, since the computation may have read the follow before it ended.
 */
const BUILT = '~built';
const BUILDING = '~building';

/** Commits a computed set unless an unfollow dropped it meanwhile. ARGV: TTL seconds, then ids. */
const COMMIT = `
if redis.call('SISMEMBER', KEYS[1], '${BUILDING}') == 0 then return 0 end
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
redis.call('SADD', KEYS[1], '${BUILT}')
redis.call('SREM', KEYS[1], '${BUILDING}')
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

/** A follow of a celebrity: into the reader's set, if it exists (a missing one is computed with it). */
const ADD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('SADD', KEYS[1], ARGV[1])
`;

/** An unfollow: out of a built set; a set being computed is dropped (computed again on next need). */
const REMOVE = `
if redis.call('SISMEMBER', KEYS[1], '${BUILDING}') == 1 then
  redis.call('DEL', KEYS[1])
  return -1
end
return redis.call('SREM', KEYS[1], ARGV[1])
`;

/**
 * An author just became a celebrity: for each follower (a page of them), the author into their set
 * if it exists, and on their live feed channel the post that made the author one (it is not fanned
 * out, and their subscriptions do not listen on the author's channel yet), then a refresh so that
 * they do from now on. ARGV: the author, the event message, the refresh message, the channel
 * prefix, the length of the keys' prefix. Its keys share a hash slot on a Redis Cluster (promote
 * calls it per slot there).
 */
const PROMOTE = `
for i = 1, #KEYS do
  local key = KEYS[i]
  if redis.call('EXISTS', key) == 1 then redis.call('SADD', key, ARGV[1]) end
  local channel = ARGV[4] .. string.sub(key, tonumber(ARGV[5]) + 1)
  redis.call('PUBLISH', channel, ARGV[2])
  redis.call('PUBLISH', channel, ARGV[3])
end
return #KEYS
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    celebritiesCommit(key: string, ...args: (string | number)[]): Result<number, Context>;
    celebritiesAdd(key: string, member: string): Result<number, Context>;
    celebritiesRemove(key: string, member: string): Result<number, Context>;
    celebritiesPromote(numKeys: number, ...args: (string | number)[]): Result<number, Context>;
  }
}

export class FollowedCelebritiesStore {
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly settings: { prefix: string; ttlSeconds: number; feedChannelPrefix: string },
  ) {
    this.keyPrefix = `${settings.prefix}:followed-celebrities:`;
    redis.defineCommand('celebritiesCommit', { numberOfKeys: 1, lua: COMMIT });
    redis.defineCommand('celebritiesAdd', { numberOfKeys: 1, lua: ADD });
    redis.defineCommand('celebritiesRemove', { numberOfKeys: 1, lua: REMOVE });
    redis.defineCommand('celebritiesPromote', { lua: PROMOTE });
  }

  key(userId: string): string {
    return this.keyPrefix + userId;
  }

  /** The celebrities a reader follows, or null when the set is missing (renews its TTL when read). */
  async get(userId: string): Promise<string[] | null> {
    const key = this.key(userId);
    const [[error, members]] = (await this.redis.multi().smembers(key).expire(key, this.settings.ttlSeconds).exec()) as [[Error | null, string[]]];
    if (error) throw error;
    if (!members.includes(BUILT)) return null;
    return members.filter((m) => m !== BUILT && m !== BUILDING);
  }

  /**
   * Computes a missing set: marked "building" first, so that follows meanwhile write into it and an
   * unfollow meanwhile drops it. Returns null when an unfollow dropped it (compute again).
   */
  async build(userId: string, compute: () => Promise<string[]>): Promise<string[] | null> {
    const key = this.key(userId);
    await this.redis.multi().sadd(key, BUILDING).expire(key, this.settings.ttlSeconds).exec();
    const ids = await compute();
    const committed = await this.redis.celebritiesCommit(key, this.settings.ttlSeconds, ...ids);
    return committed === 1 ? ids : null;
  }

  async add(userId: string, celebrityId: string): Promise<void> {
    await this.redis.celebritiesAdd(this.key(userId), celebrityId);
  }

  async remove(userId: string, celebrityId: string): Promise<void> {
    await this.redis.celebritiesRemove(this.key(userId), celebrityId);
  }

  /** A page of an author's followers, told the author is now a celebrity (one script call; on a cluster one per hash slot). */
  async promote(followerIds: string[], authorId: string, postId: string): Promise<void> {
    const groups = groupBySlot(this.redis, followerIds.map((id) => this.key(id)));
    const event = liveEvent(postId);
    await Promise.all(
      groups.map((keys) => this.redis.celebritiesPromote(keys.length, ...keys, authorId, event, LIVE_REFRESH, this.settings.feedChannelPrefix, this.keyPrefix.length)),
    );
  }
}
