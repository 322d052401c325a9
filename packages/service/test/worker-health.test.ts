import { afterEach, describe, expect, it } from 'vitest';
import { dropRedisPrefix, testRedisPrefix, testRedisUrl } from '@shutter/testing';
import { startServiceWorker, type RunningWorker } from '../src/worker.ts';
import { startWorkerHealth } from '../src/worker-health.ts';

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('worker health listener', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const thing of opened.splice(0)) await thing.close();
  });

  it('is off unless WORKER_HEALTH_PORT is set', async () => {
    expect(await startWorkerHealth('test-worker', { problems: async () => [] }, {})).toBeNull();
  });

  it('answers /healthz while /readyz reports what is not ready, with 503', async () => {
    let problems: string[] = ['redis connection is connecting'];
    const health = await startWorkerHealth('test-worker', { problems: async () => problems }, { WORKER_HEALTH_PORT: '0' });
    opened.push(health!);
    expect(await get(`${health!.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(`${health!.url}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', problems } });
    problems = [];
    expect(await get(`${health!.url}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
    expect((await fetch(`${health!.url}/other`)).status).toBe(404);
  });

  it('reports a check that throws as not ready rather than failing the probe', async () => {
    const health = await startWorkerHealth('test-worker', { problems: async () => Promise.reject(new Error('boom')) }, { WORKER_HEALTH_PORT: '0' });
    opened.push(health!);
    expect(await get(`${health!.url}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', problems: ['boom'] } });
  });

  it('refuses a bad port before the worker starts anything', async () => {
    await expect(startWorkerHealth('test-worker', { problems: async () => [] }, { WORKER_HEALTH_PORT: 'eighty' })).rejects.toThrow(/WORKER_HEALTH_PORT/);
  });

  it('is ready once a real worker runs on Redis, and stops answering after close', async () => {
    const prefix = testRedisPrefix();
    const saved = process.env.WORKER_HEALTH_PORT;
    process.env.WORKER_HEALTH_PORT = '0';
    let worker: RunningWorker;
    try {
      worker = await startServiceWorker({
        name: 'media-worker',
        service: 'media',
        config: { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' },
        setup: () => ({ handlers: { 'media.process-upload': async () => {} } }),
      });
    } finally {
      if (saved === undefined) delete process.env.WORKER_HEALTH_PORT;
      else process.env.WORKER_HEALTH_PORT = saved;
    }
    const url = worker.health!.url;
    try {
      // The BullMQ connection may still be connecting right after start.
      let ready = await get(`${url}/readyz`);
      for (let i = 0; i < 50 && ready.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        ready = await get(`${url}/readyz`);
      }
      expect(ready).toEqual({ status: 200, body: { status: 'ready' } });
      expect((await get(`${url}/healthz`)).status).toBe(200);
    } finally {
      await worker.close();
      await dropRedisPrefix(prefix);
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
