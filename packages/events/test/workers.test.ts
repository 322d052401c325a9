import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { testRedisPrefix, testRedisUrl } from '@shutter/testing';
import { startQueueWorkers } from '../src/workers.ts';

const silent = { warn: () => {}, error: () => {} };

describe('startQueueWorkers', () => {
  it('refuses to start when a catalogue queue routed to the service has no handler', () => {
    const connection = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: null });
    expect(() =>
      startQueueWorkers({ 'feed.post-created': async () => {} }, { service: 'feed', connection, prefix: testRedisPrefix(), log: silent }),
    ).toThrow('feed worker: no handler for queue(s) feed.follow-created, feed.follow-deleted, feed.post-deleted, feed.post-liked, feed.comment-added');
    connection.disconnect();
  });

  it('starts one worker per handled queue', async () => {
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const workers = startQueueWorkers({ 'media.process-upload': async () => {} }, { service: 'media', connection, prefix: testRedisPrefix(), log: silent });
    expect(workers.map((w) => w.name)).toEqual(['media.process-upload']);
    await Promise.all(workers.map((w) => w.close()));
    await connection.quit();
  });
});
