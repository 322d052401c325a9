// The untyped module's declaration, for every package whose compilation takes this file in.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from '@shutter/config';

/**
 * A connection to the installation's Redis: one server (`Redis`) or a Redis Cluster (`Cluster`).
 * Both have the same commands, scripts, pipelines and pub/sub; what differs is that on a cluster
 * every script, MULTI and BullMQ call must keep to keys of one hash slot (see groupBySlot and
 * queuePrefix).
 */
export type RedisClient = Redis | Cluster;

/**
 * The one place a Redis connection is made, from REDIS_URL (packages/config parseRedisUrl says its
 * forms). `options` are a single server's (ioredis RedisOptions); on a cluster they apply to each
 * node's connection, and those that are the cluster's own (offline queue, ready check,
 * auto-pipelining, the reconnect strategy) move to the cluster.
 */
export function connectRedis(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (!target) throw new Error('REDIS_URL must be a redis:// URL, or redis-cluster://host:port,host:port for a Redis Cluster');
  if (target.kind === 'server') return new Redis(url, options);
  const { enableOfflineQueue, enableReadyCheck, enableAutoPipelining, retryStrategy, lazyConnect, ...node } = options;
  return new Cluster(target.nodes, {
    enableOfflineQueue,
    enableReadyCheck,
    enableAutoPipelining,
    lazyConnect,
    // A cluster that is unreachable as a whole: reconnect as a single server would.
    clusterRetryStrategy: retryStrategy ? (attempt) => retryStrategy(attempt) : undefined,
    redisOptions: {
      ...node,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

/**
 * For BullMQ and workers: no retry limit, and commands wait in the offline queue while Redis is
 * away, so a job's work goes on where it stopped once Redis is back (BullMQ requires this for its
 * blocking connections).
 */
export function createRedisConnection(url: string): RedisClient {
  return connectRedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/**
 * Keys split into groups a script (or MULTI) may take together: on a single server, all of them in
 * one group (one call); on a cluster, one group per hash slot, since Redis refuses a script whose
 * keys are in different slots. Callers send the groups' calls at once (ioredis writes each without
 * waiting for the others' replies, to each slot's node).
 */
export function groupBySlot(redis: RedisClient, keys: readonly string[]): string[][] {
  if (!redis.isCluster) return keys.length > 0 ? [[...keys]] : [];
  const bySlot = new Map<number, string[]>();
  for (const key of keys) {
    const slot = calculateSlot(key);
    const group = bySlot.get(slot);
    if (group) group.push(key);
    else bySlot.set(slot, [key]);
  }
  return [...bySlot.values()];
}
