import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { runMigrations } from '@shutter/db';
import { ensurePostgres, ensureRedis, loadOrCreateSecrets, type LocalPostgres, type LocalRedis } from '@shutter/local-infra';

const dataDir = fileURLToPath(new URL('../.data', import.meta.url));

/** Postgres and Redis found as `npm start` and the tests find them. */
export async function benchInfra(): Promise<{ pg: LocalPostgres; redis: LocalRedis }> {
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'), []);
  const pg = await ensurePostgres({ dataDir: join(dataDir, 'postgres'), port: Number(process.env.SHUTTER_PG_PORT ?? 54329), password: secrets.postgresPassword });
  const redis = await ensureRedis({ dataDir: join(dataDir, 'redis'), port: Number(process.env.SHUTTER_REDIS_PORT ?? 6390) });
  return { pg, redis };
}

/** A fresh database named `name`, migrated with the given folder. */
export async function freshDatabase(adminUrl: string, name: string, service: { migrationsFolder: string }): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString(), service.migrationsFolder);
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** Runs `fn` `iterations` times after `warmup` runs; returns milliseconds at p50/p95/p99 and the mean. */
export async function timeIt(iterations: number, fn: () => Promise<unknown>, warmup = 20) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  const { p50, p95, p99, mean } = quantiles(samples);
  return { p50, p95, p99, mean };
}

/** p50, p90, p95, p99, max and mean of samples, in their unit, rounded. */
export function quantiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1)!),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** Deletes every key under `prefix:` (timelines, queues, channels' sets) in the Redis at `url`; returns how many. */
export async function cleanRedisPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  let cursor = '0';
  let deleted = 0;
  try {
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function progress(line: string) {
  process.stderr.write(`${line}\n`);
}

/** One figure of a benchmark, as `bench/README.md`'s table shows it. */
export interface BenchFigure {
  /** The workload, e.g. `feed through the gateway, 16 clients`. */
  workload: string;
  /** What is measured, e.g. `p99`, `throughput`, `gateway CPU per request`. */
  metric: string;
  value: number;
  unit: string;
  /** The goal, in words, where PERFORMANCE.md or an issue sets one (`< 50 ms`). */
  target?: string;
  /** Whether the goal is met, where one is set. */
  met?: boolean;
}

/**
 * Writes `bench/results/<name>.json`: the figures for the table, the details, and where and when
 * they were taken (machine, load average, git revision), so a figure is never read out of context.
 */
export function writeResults(name: string, figures: BenchFigure[], details: Record<string, unknown>): void {
  let revision = 'unknown';
  let dirty = false;
  try {
    revision = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    // Not a git checkout (a tarball): the revision stays unknown.
  }
  const record = {
    name,
    date: new Date().toISOString(),
    revision: dirty ? `${revision}+changes` : revision,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${platform()} ${release()}` },
    loadAverage: loadavg().map((l) => round(l)),
    figures,
    details,
  };
  writeFileSync(new URL(`./results/${name}.json`, import.meta.url), JSON.stringify(record, null, 2) + '\n');
}

/**
 * CPU time (ticks of 10 ms) of every process, labelled by role: the installation's services and
 * workers (descendants of its `npm start` process, found by their command lines), Postgres, Redis,
 * a bench-run peer gateway (`bench/peer-gateway.ts <name>`), this process as the load generator,
 * and the rest as `outside:` (other work on the machine).
 */
export type CpuTable = Map<number, { label: string; ticks: number; rssBytes: number }>;

export function processSnapshot(installationPid: number): CpuTable {
  const raw = new Map<number, { ppid: number; comm: string; cmd: string; ticks: number; rssBytes: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      raw.set(Number(entry), {
        ppid: Number(fields[1]),
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '),
        ticks: Number(fields[11]) + Number(fields[12]),
        // rss, in pages of 4 KiB.
        rssBytes: Number(fields[21]) * 4096,
      });
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number, ancestor: number) => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = raw.get(p)?.ppid ?? 0, hops++) if (p === ancestor) return true;
    return false;
  };
  const table: CpuTable = new Map();
  for (const [pid, { comm, cmd, ticks, rssBytes }] of raw) {
    if (ticks === 0) continue;
    // npm start runs the built bundles (dist/*.js); a development run, the sources.
    const role = cmd.match(/\b(gateway)\/(?:src|dist)\/server\.[jt]s|subgraphs\/([\w-]+)\/(?:src|dist)\/(server|worker)\.[jt]s|scripts\/(start)\.ts/);
    const peer = cmd.match(/bench\/peer-gateway\.ts ([\w-]+)/);
    let label = role ? (role[1] ?? (role[4] ? 'npm start (supervisor)' : `${role[2]}${role[3] === 'worker' ? '-worker' : ''}`)) : comm;
    if (comm === 'postgres' || cmd.startsWith('postgres:')) label = 'postgres';
    if (comm.startsWith('redis-server')) label = 'redis';
    if (pid === process.pid) label = 'bench (load generator)';
    else if (peer) label = peer[1]!;
    // Redis is shared (one server for every installation); Postgres is the installation's own cluster.
    else if (label !== 'redis' && !descends(pid, installationPid)) label = `outside: ${label}`;
    table.set(pid, { label, ticks, rssBytes });
  }
  return table;
}

/** Resident memory by label, in MiB (labels of at least 1 MiB). */
export function rssByLabel(snapshot: CpuTable): Record<string, number> {
  const byLabel = new Map<string, number>();
  for (const { label, rssBytes } of snapshot.values()) byLabel.set(label, (byLabel.get(label) ?? 0) + rssBytes);
  return Object.fromEntries([...byLabel].filter(([, b]) => b >= 2 ** 20).sort((a, b) => b[1] - a[1]).map(([label, b]) => [label, round(b / 2 ** 20, 1)]));
}

/** Each label's share of one core between two snapshots `seconds` apart (labels at 1% or more), and its CPU ms per request. */
export function cpuBetween(before: CpuTable, after: CpuTable, seconds: number, requests: number) {
  const byLabel = new Map<string, number>();
  for (const [pid, now] of after) byLabel.set(now.label, (byLabel.get(now.label) ?? 0) + now.ticks - (before.get(pid)?.ticks ?? 0));
  const rows = [...byLabel].filter(([, ticks]) => ticks / seconds >= 1).sort((a, b) => b[1] - a[1]);
  return {
    totalPercentOfOneCore: round(rows.reduce((n, [, ticks]) => n + ticks, 0) / seconds, 0),
    percentOfOneCore: Object.fromEntries(rows.map(([label, ticks]) => [label, round(ticks / seconds, 0)])),
    // A tick is 10 ms of CPU.
    msPerRequest: Object.fromEntries(rows.map(([label, ticks]) => [label, round((ticks * 10) / requests)])),
  };
}

export type CpuUse = ReturnType<typeof cpuBetween>;

export const cpuLine = (cpu: CpuUse) =>
  `CPU ${cpu.totalPercentOfOneCore}% of one core: ${Object.entries(cpu.percentOfOneCore)
    .slice(0, 8)
    .map(([label, p]) => `${label} ${p}% (${cpu.msPerRequest[label]} ms/req)`)
    .join(', ')}`;

export interface LoadResult {
  clients: number;
  requests: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  cpu: CpuUse;
}

/**
 * `clients` closed loops of `fn` for `ms` after `warmupMs`: latency percentiles, requests per
 * second, and each process's CPU meanwhile. `fn` gets a running request number, so that each
 * request can pick its own viewer and variables.
 */
export async function underLoad(
  installationPid: number,
  clients: number,
  ms: number,
  fn: (n: number) => Promise<unknown>,
  warmupMs = 1000,
  /** Called with a snapshot of every process halfway through (memory under load). */
  atHalfway?: (snapshot: CpuTable) => void,
): Promise<LoadResult> {
  let n = 0;
  const loop = async (until: number, samples: number[] | null) => {
    while (performance.now() < until) {
      const t = performance.now();
      await fn(n++);
      samples?.push(performance.now() - t);
    }
  };
  const warm = performance.now() + warmupMs;
  await Promise.all(Array.from({ length: clients }, () => loop(warm, null)));
  const samples: number[] = [];
  const cpuBefore = processSnapshot(installationPid);
  const t = performance.now();
  const halfway = atHalfway ? setTimeout(() => atHalfway(processSnapshot(installationPid)), ms / 2) : undefined;
  await Promise.all(Array.from({ length: clients }, () => loop(t + ms, samples)));
  clearTimeout(halfway);
  const seconds = (performance.now() - t) / 1000;
  const cpu = cpuBetween(cpuBefore, processSnapshot(installationPid), seconds, samples.length);
  const { p50, p95, p99 } = quantiles(samples);
  return { clients, requests: samples.length, perSecond: round(samples.length / seconds, 0), p50, p95, p99, cpu };
}

/**
 * A GraphQL call to a gateway as a client makes it (with the preflight header csrfPrevention asks
 * of a non-simple POST); throws unless the answer has data and no errors.
 */
export function gatewayClient(url: string) {
  return async (query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as { data?: any; errors?: unknown };
    if (!result.data || result.errors) throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(result.errors ?? result).slice(0, 400)}`);
    return result.data;
  };
}
