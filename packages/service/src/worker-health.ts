import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, z } from '@shutter/config';
import { metricsResponse } from '@shutter/telemetry';

/**
 * A worker's probes for an orchestrator (Kubernetes): a worker serves no HTTP otherwise, and a probe
 * that only proves the container's main process exists tells nothing the kubelet does not know.
 * Off unless WORKER_HEALTH_PORT is set (npm start and the tests run without it).
 *   GET /healthz  200 while the event loop answers: a loop blocked for the probe's timeout fails it.
 *   GET /readyz   200 when what the worker needs answers: its Redis connection is ready, every BullMQ
 *                 worker is running, and its database (if any) answers a query; 503 with the reasons.
 *   GET /metrics  the process's Prometheus metrics (its jobs, its queues' depth, Node's own).
 */
export const workerHealthSchema = z.object({
  WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),
  // 0 picks a free port (tests).
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
});

export interface WorkerHealthChecks {
  /** Names what is not ready; empty when everything is. */
  problems(): Promise<string[]>;
}

export interface WorkerHealth {
  url: string;
  close(): Promise<void>;
}

/** Starts the listener when WORKER_HEALTH_PORT is set; null otherwise. */
export async function startWorkerHealth(
  name: string,
  checks: WorkerHealthChecks,
  source: Record<string, string | undefined> = process.env,
): Promise<WorkerHealth | null> {
  const config = loadConfig(`${name} health`, workerHealthSchema, source);
  if (config.WORKER_HEALTH_PORT === undefined) return null;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path === '/metrics') {
      metricsResponse().then(
        (metrics) => {
          res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
          res.end(metrics.body);
        },
        (err: unknown) => send(500, { error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    if (path === '/readyz') {
      checks.problems().then(
        (problems) => send(problems.length === 0 ? 200 : 503, problems.length === 0 ? { status: 'ready' } : { status: 'not ready', problems }),
        (err: unknown) => send(503, { status: 'not ready', problems: [err instanceof Error ? err.message : String(err)] }),
      );
      return;
    }
    send(404, { error: 'not found' });
  });
  // A probe holds no connection open between checks; never let a stuck one keep the process up.
  server.keepAliveTimeout = 1_000;
  server.requestTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.WORKER_HEALTH_PORT, config.WORKER_HEALTH_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.WORKER_HEALTH_HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Resolves to `value`, or rejects after `ms`: a check that hangs is a failed check, not a hung probe. */
export function within<T>(ms: number, what: string, value: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    value,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
