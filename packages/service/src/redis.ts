import { connectRedis, type RedisClient } from '@shutter/events/redis';
import type { Logger } from 'pino';

// The gateway's Redis clients (rate limits, live) are made with these too.
export { connectRedis, type RedisClient };

/** How long a command on a request path may take before it counts as failed (Redis answers in well under 1 ms). */
export const REQUEST_REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * For request paths (a feed read, a subscription being set up): a command fails after
 * REQUEST_REDIS_COMMAND_TIMEOUT_MS, and fails at once while Redis is disconnected (no offline
 * queue, so nothing piles up in memory during an outage), so that the caller can fall back or
 * answer "unavailable" instead of holding the request. It reconnects on its own, every 0.2 s to 2 s.
 */
export function createRequestRedisConnection(url: string, log?: Pick<Logger, 'warn'>): RedisClient {
  const redis = connectRedis(url, {
    commandTimeout: REQUEST_REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
  });
  // Every failed reconnect emits an error: said once per 30 s (readiness reports the state).
  let lastLogged = 0;
  redis.on('error', (err) => {
    if (Date.now() - lastLogged < 30_000) return;
    lastLogged = Date.now();
    log?.warn({ err }, 'redis unavailable; reconnecting (requests that need it fall back or answer SERVICE_UNAVAILABLE)');
  });
  return redis;
}

/**
 * Resolves once the client is ready, or after `timeoutMs` (false). A client without an offline
 * queue fails every command until then, so a process should wait for it (bounded) before it takes
 * requests; a Cluster client is not ready until it has read the slot map.
 */
export function redisReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
  });
}

/**
 * True when a Redis command failed because Redis is unreachable or too slow (rather than because
 * the command is wrong): the caller's cue to fall back.
 */
export function isRedisUnavailable(e: unknown, redis?: RedisClient): boolean {
  if (redis && redis.status !== 'ready') return true;
  const message = e instanceof Error ? e.message : '';
  return /Command timed out|Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|max retries per request|LOADING|Cluster isn't ready|CLUSTERDOWN|TRYAGAIN|None of startup nodes|Failed to refresh slots/i.test(message);
}
