import type { RedisClient } from '@shutter/events/redis';
import type { Sql } from '@shutter/db';
import { json, type HttpResponse } from './http-server.ts';

/**
 * /readyz: every dependency a process needs, checked at once, each with a deadline. A required
 * one down makes the process "not ready" (503: take it out of the load balancer, it cannot answer
 * anything); an optional one down makes it "degraded" (200: it answers, with less, see README
 * "Errors"), since taking every replica out for a dependency they all share would turn a partial
 * outage into a whole one.
 */
export interface Dependency {
  name: string;
  required: boolean;
  /** Resolves when it is up ('degraded' when it answers but says it is degraded itself); throws when down. */
  check(signal: AbortSignal): Promise<void | 'degraded'>;
}

export type DependencyStatus = 'up' | 'degraded' | 'down';

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not ready';
  dependencies: Record<string, { status: DependencyStatus; required: boolean; ms: number; error?: string }>;
}

export interface ReadinessOptions {
  /** Each check's deadline. */
  timeoutMs?: number;
  /** A report is reused this long: probes (and people) hammering /readyz cost one check per interval. */
  cacheMs?: number;
}

export function readinessProbe(dependencies: Dependency[], options: ReadinessOptions = {}) {
  const { timeoutMs = 1000, cacheMs = 1000 } = options;
  let cached: { at: number; report: Promise<ReadinessReport> } | null = null;

  async function run(): Promise<ReadinessReport> {
    const results = await Promise.all(
      dependencies.map(async (d) => {
        const started = performance.now();
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          const outcome = await Promise.race([
            d.check(signal),
            new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no answer in ${timeoutMs} ms`)), { once: true })),
          ]);
          return [d, outcome === 'degraded' ? 'degraded' : 'up', started, undefined] as const;
        } catch (e) {
          return [d, 'down', started, e instanceof Error ? e.message : String(e)] as const;
        }
      }),
    );
    const report: ReadinessReport = { status: 'ready', dependencies: {} };
    for (const [d, status, started, error] of results) {
      report.dependencies[d.name] = { status, required: d.required, ms: Math.round(performance.now() - started), ...(error ? { error } : {}) };
      if (status === 'down' && d.required) report.status = 'not ready';
      else if (status !== 'up' && report.status === 'ready') report.status = 'degraded';
    }
    return report;
  }

  return {
    report(): Promise<ReadinessReport> {
      if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), report: run() };
      return cached.report;
    },
    async respond(): Promise<HttpResponse> {
      const report = await this.report();
      return json(report.status === 'not ready' ? 503 : 200, report);
    },
  };
}

/** The service's own database. */
export const postgresDependency = (sql: Sql, required = true): Dependency => ({
  name: 'postgres',
  required,
  check: async () => {
    await sql`select 1`;
  },
});

/** A Redis the process uses (give it a client with a command timeout, or the check waits for its reconnect). */
export const redisDependency = (redis: RedisClient, required: boolean): Dependency => ({
  name: 'redis',
  required,
  check: async () => {
    if (redis.status !== 'ready') throw new Error(`not connected (${redis.status})`);
    await redis.ping();
  },
});

/**
 * Another service this one calls: its /healthz (is the process there and answering). Not its
 * /readyz, which would check that service's own dependencies again, and theirs, on every probe.
 */
export const serviceDependency = (name: string, url: string, required = false): Dependency => ({
  name,
  required,
  check: async (signal) => {
    const response = await fetch(new URL('/healthz', url), { signal });
    if (!response.ok) throw new Error(`healthz answered ${response.status}`);
  },
});

/** A subgraph behind the gateway: its /readyz, so the gateway's report shows each subgraph's own state. */
export const subgraphDependency = (name: string, url: string): Dependency => ({
  name,
  required: false,
  check: async (signal) => {
    const response = await fetch(new URL('/readyz', url), { signal });
    if (response.status === 503) throw new Error('not ready');
    if (!response.ok) throw new Error(`readyz answered ${response.status}`);
    const body = (await response.json()) as { status?: string };
    return body.status === 'ready' ? undefined : 'degraded';
  },
});
