import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '@shutter/testing';
import { checkRedisDurability } from '../src/index.ts';

/** The start-up warning about a Redis that would lose queued jobs, against Redis servers of this file's own. */
const started: PrivateRedis[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.disconnect());
  await Promise.all(started.splice(0).map((r) => r.destroy()));
});

async function check(options: Parameters<typeof startPrivateRedis>[0]) {
  const redis = await startPrivateRedis(options);
  started.push(redis);
  const client = new Redis(redis.url);
  clients.push(client);
  const warnings: string[] = [];
  const settings = await checkRedisDurability(client, { info: () => {}, warn: (_obj, msg) => warnings.push(msg ?? '') });
  return { settings, warnings };
}

describe('checkRedisDurability', () => {
  it('is silent for noeviction with AOF', async () => {
    expect(await check({ appendonly: true })).toEqual({ settings: { eviction: 'noeviction', appendonly: 'yes', save: '' }, warnings: [] });
  });

  it('warns of an eviction policy and of no persistence at all', async () => {
    const { warnings } = await check({ appendonly: false, args: ['--maxmemory-policy', 'allkeys-lru'] });
    expect(warnings).toEqual([
      expect.stringMatching(/^redis: maxmemory-policy is allkeys-lru; BullMQ needs noeviction/),
      expect.stringMatching(/^redis: no persistence \(appendonly off, no snapshots\)/),
    ]);
  });

  it('warns of snapshots without AOF', async () => {
    const { warnings } = await check({ appendonly: false, args: ['--save', '60 1000'] });
    expect(warnings).toEqual([expect.stringMatching(/^redis: appendonly is off \(snapshots only: "60 1000"\)/)]);
  });
});
