import type { RedisClient } from './redis.ts';

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Says, at a worker's start, what the Redis under its queues would do with them: evict them
 * (BullMQ requires maxmemory-policy noeviction: an evicted job is a lost one, and an evicted lock
 * a job run twice), or lose them in a crash (no AOF: everything since the last snapshot, or all
 * of it without one). The outbox reconciler re-emits what is lost either way, but a warning now
 * beats finding out from the reconciler's log. A Redis that refuses CONFIG (managed services
 * often do) cannot be checked, and says so.
 */
export async function checkRedisDurability(redis: RedisClient, log: Logger): Promise<{ eviction: string; appendonly: string; save: string } | null> {
  let settings: Record<string, string>;
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    const aof = (await redis.call('CONFIG', 'GET', 'appendonly')) as string[];
    const save = (await redis.call('CONFIG', 'GET', 'save')) as string[];
    settings = Object.fromEntries([reply, aof, save].map((pair) => [pair[0], pair[1] ?? '']));
  } catch (err) {
    log.info({ err }, 'redis: could not read its configuration (CONFIG GET refused); check yourself that maxmemory-policy is noeviction and appendonly is yes');
    return null;
  }
  const eviction = settings['maxmemory-policy'] ?? 'unknown';
  const appendonly = settings.appendonly ?? 'unknown';
  const save = settings.save ?? '';
  if (eviction !== 'noeviction') {
    log.warn({ maxmemoryPolicy: eviction }, `redis: maxmemory-policy is ${eviction}; BullMQ needs noeviction (evicted jobs are lost until the outbox reconciler re-adds them, evicted locks make jobs run twice). Set maxmemory-policy noeviction.`);
  }
  if (appendonly !== 'yes') {
    log.warn(
      { appendonly, save },
      save
        ? `redis: appendonly is off (snapshots only: "${save}"); a crash loses the queued jobs since the last snapshot until the reconciler re-adds them. Set appendonly yes.`
        : 'redis: no persistence (appendonly off, no snapshots); a restart loses every queued job until the reconciler re-adds them. Set appendonly yes.',
    );
  }
  return { eviction, appendonly, save };
}
