import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { SpanKind } from '@opentelemetry/api';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createQueue } from '@shutter/events';
import { createLogger } from '@shutter/service';
import { testRedisUrl } from '@shutter/testing';
import { startTelemetry, type Telemetry } from '@shutter/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { startStack, type Stack } from './stack.ts';

/**
 * Traces, metrics and logs of a whole stack.
 *
 * One trace from a gateway request through the subgraphs it calls and into the job the request
 * queued (outbox row → relay → BullMQ job → worker). The stack runs in this process, so one
 * in-memory exporter sees every process's spans; what links them is only what travels between
 * them: the `traceparent` header over real HTTP, and the outbox row's trace_context in Postgres and
 * then in the job's data in Redis.
 */
const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let stack: Stack;
const gatewayLog: string[] = [];

beforeAll(async () => {
  telemetry = startTelemetry('shutter-test', { exporter, source: {} });
  // The workers' health listeners (and so their /metrics), each on a free port.
  process.env.WORKER_HEALTH_PORT = '0';
  try {
    stack = await startStack({ gatewayLogger: createLogger('gateway', 'debug', { write: (line: string) => void gatewayLog.push(line) }) });
  } finally {
    delete process.env.WORKER_HEALTH_PORT;
  }
});

afterAll(async () => {
  await stack?.close();
  await telemetry?.shutdown();
});

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

async function waitForSpan(predicate: (span: ReadableSpan) => boolean, timeoutMs = 15_000): Promise<ReadableSpan> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await new Promise((r) => setTimeout(r, 50))) {
    const found = exporter.getFinishedSpans().find(predicate);
    if (found) return found;
  }
  throw new Error(`no such span in ${timeoutMs} ms; spans: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
}

describe('tracing', () => {
  it('a follow through the gateway: one trace id in the gateway span, each subgraph call (both sides) and the feed job it queued', async () => {
    const alice = await stack.signUp('alice_trace');
    const bob = await stack.signUp('bob_trace');
    exporter.reset();

    // follow is social-graph's; username is users': the plan calls both.
    const followed = await stack.query({
      query: 'mutation FollowForTrace($id: ID!) { follow(userId: $id) { username followerCount } }',
      variables: { id: bob.id },
      token: alice.token,
    });
    expect(followed.errors).toBeUndefined();
    expect(followed.data).toEqual({ follow: { username: 'bob_trace', followerCount: 1 } });

    // The gateway's request span: a root (a public request starts its own trace), named after the operation.
    const request = await waitForSpan((s) => s.kind === SpanKind.SERVER && s.name === 'graphql FollowForTrace');
    expect(request.parentSpanContext).toBeUndefined();
    expect(request.attributes['url.path']).toBe('/graphql');
    const traceId = traceOf(request);
    const inTrace = () => exporter.getFinishedSpans().filter((s) => traceOf(s) === traceId);

    // The job follow.created became, run by the feed worker: a child of social-graph's request span.
    const job = await waitForSpan((s) => s.name === 'job feed.follow-created' && s.kind === SpanKind.CONSUMER);
    expect(traceOf(job)).toBe(traceId);

    // Each subgraph call: the gateway's client span, and the subgraph's server span as its child.
    const spans = inTrace();
    const byId = new Map(spans.map((s) => [idOf(s), s]));
    for (const subgraph of ['social-graph', 'users']) {
      const calls = spans.filter((s) => s.kind === SpanKind.CLIENT && s.name === `subgraph ${subgraph}`);
      expect(calls.length, `calls to ${subgraph}`).toBeGreaterThan(0);
      for (const call of calls) {
        const served = spans.filter((s) => s.kind === SpanKind.SERVER && s.parentSpanContext?.spanId === idOf(call));
        expect(served, `${subgraph}'s server span for a call`).toHaveLength(1);
        expect(served[0]!.name).toMatch(/^graphql FollowForTrace__/);
      }
    }

    // The job's ancestry: social-graph's server span (which wrote the outbox row), its gateway
    // call, up to the gateway's request.
    const chain: string[] = [];
    for (let span: ReadableSpan | undefined = job; span; span = span.parentSpanContext ? byId.get(span.parentSpanContext.spanId) : undefined) {
      chain.push(`${span.name}`);
    }
    expect(chain[0]).toBe('job feed.follow-created');
    expect(chain[1]).toMatch(/^graphql FollowForTrace__social_graph__/);
    expect(chain[2]).toBe('subgraph social-graph');
    expect(chain.at(-1)).toBe('graphql FollowForTrace');

    // The gateway's log line of that request carries the same ids.
    const lines = gatewayLog.map((line) => JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string; url?: string });
    expect(lines.filter((l) => l.msg === 'request' && l.trace_id === traceId).map((l) => l.span_id)).toEqual([idOf(request)]);
  });

  it("an upload PUT with a client's traceparent: media starts its own trace, so the client chooses neither the job's trace id nor its sampling", async () => {
    const carol = await stack.signUp('carol_trace');
    const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 20, b: 20 } } }).jpeg().toBuffer();
    const upload = await stack.query({
      query: 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }',
      variables: { input: { contentType: 'image/jpeg', byteSize: bytes.length } },
      token: carol.token,
    });
    expect(upload.errors).toBeUndefined();
    exporter.reset();
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const put = await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes, headers: { traceparent: `00-${clientTrace}-00f067aa0ba902b7-01` } });
    expect(put.status).toBe(200);
    const job = await waitForSpan((span) => span.name === 'job media.process-upload');
    expect(traceOf(job)).not.toBe(clientTrace);
    expect(exporter.getFinishedSpans().filter((span) => traceOf(span) === clientTrace).map((span) => span.name)).toEqual([]);
  });
});

/** A scrape of /metrics: each sample with its labels. */
async function scrape(url: string): Promise<{ name: string; labels: Record<string, string>; value: number }[]> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a series' samples whose labels include `labels` (a RegExp matches a label's value). */
function total(samples: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string | RegExp> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''))))
    .reduce((n, s) => n + s.value, 0);
}

describe('metrics', () => {
  it("/metrics of the gateway, a subgraph and a worker count what was done: operations, errors, plans, jobs, queue depth, fan-out lag, sockets", async () => {
    const worker = stack.workers.feed;
    expect(worker.health).not.toBeNull();
    const workerUrl = worker.health!.url;
    const alice = await stack.signUp('alice_metrics');
    const bob = await stack.signUp('bob_metrics');
    const before = { gateway: await scrape(stack.gateway.url), users: await scrape(stack.users.url), worker: await scrape(workerUrl) };

    // Bob listens for his notifications: a socket, and a delivery to time.
    const client: Client = createClient({ url: stack.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${bob.token}` }, onNonLazyError: () => {} });
    const notifications: unknown[] = [];
    try {
      client.subscribe({ query: 'subscription { notificationAdded { kind } }' }, { next: (m) => notifications.push(m), error: () => {}, complete: () => {} });
      await expect.poll(async () => total(await scrape(stack.gateway.url), 'live_sockets'), { timeout: 5000 }).toBe(1);

      // The follow queue paused: the job the follow queues waits, and ages.
      const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
      const followQueue = createQueue('feed.follow-created', { connection: redis, prefix: stack.queuePrefix });
      await followQueue.pause();
      const follow = await stack.query({ query: 'mutation FollowForMetrics($id: ID!) { follow(userId: $id) { id } }', variables: { id: bob.id }, token: alice.token });
      expect(follow.errors).toBeUndefined();
      const followWaiting = { queue: 'feed.follow-created', state: /^(waiting|paused)$/ };
      await expect.poll(async () => total(await scrape(workerUrl), 'queue_jobs', followWaiting), { timeout: 10_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      const waiting = await scrape(workerUrl);
      expect(total(waiting, 'queue_oldest_waiting_job_age_seconds', { queue: 'feed.follow-created' })).toBeGreaterThanOrEqual(1);
      expect(total(waiting, 'queue_oldest_waiting_job_age_seconds', { queue: 'feed.follow-created' })).toBeLessThan(15);
      await followQueue.resume();
      await followQueue.close();
      redis.disconnect();
      await expect.poll(async () => total(await scrape(workerUrl), 'queue_jobs_processed_total', { queue: 'feed.follow-created', status: 'completed' }), { timeout: 10_000 }).toBe(
        total(before.worker, 'queue_jobs_processed_total', { queue: 'feed.follow-created', status: 'completed' }) + 1,
      );
      // Its FOLLOW notification reached Bob's socket.
      await expect.poll(() => notifications.length, { timeout: 10_000 }).toBe(1);

      // One operation three times (planned once), one refused.
      const profile = () => stack.query({ query: 'query ProfileForMetrics($u: String!) { user(username: $u) { username followerCount } }', variables: { u: 'bob_metrics' } });
      for (let i = 0; i < 3; i++) expect((await profile()).data).toEqual({ user: { username: 'bob_metrics', followerCount: 1 } });
      const self = await stack.query({ query: 'mutation FollowSelfForMetrics($id: ID!) { follow(userId: $id) { id } }', variables: { id: alice.id }, token: alice.token });
      expect(self.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      // Bob posts: his one follower's timeline gets it (the fan-out lag).
      await stack.createPhotoPost(bob.token, 'for the metrics');
      await expect.poll(async () => total(await scrape(workerUrl), 'feed_fanout_lag_seconds_count'), { timeout: 15_000 }).toBe(total(before.worker, 'feed_fanout_lag_seconds_count') + 1);
    } finally {
      await client.dispose();
    }
    await expect.poll(async () => total(await scrape(stack.gateway.url), 'live_sockets'), { timeout: 5000 }).toBe(0);

    const after = { gateway: await scrape(stack.gateway.url), users: await scrape(stack.users.url), worker: await scrape(workerUrl) };
    const delta = (where: keyof typeof after, name: string, labels: Record<string, string | RegExp> = {}) => total(after[where], name, labels) - total(before[where], name, labels);

    // The gateway's operations, by name and outcome, errors by code, latency.
    expect(delta('gateway', 'graphql_requests_total', { service: 'gateway', operation: 'ProfileForMetrics', status: 'ok' })).toBe(3);
    expect(delta('gateway', 'graphql_requests_total', { service: 'gateway', operation: 'FollowForMetrics', status: 'ok' })).toBe(1);
    expect(delta('gateway', 'graphql_requests_total', { service: 'gateway', operation: 'FollowSelfForMetrics', status: 'error' })).toBe(1);
    expect(delta('gateway', 'graphql_errors_total', { service: 'gateway', operation: 'FollowSelfForMetrics', code: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta('gateway', 'graphql_request_duration_seconds_count', { service: 'gateway', operation: 'ProfileForMetrics' })).toBe(3);
    expect(delta('gateway', 'graphql_request_duration_seconds_sum', { service: 'gateway', operation: 'ProfileForMetrics' })).toBeGreaterThan(0);
    // The createPhotoPost operations are anonymous.
    expect(delta('gateway', 'graphql_requests_total', { service: 'gateway', operation: 'anonymous' })).toBeGreaterThanOrEqual(3);
    // Plans: ProfileForMetrics planned once, then reused twice; every operation run looked one up.
    expect(delta('gateway', 'gateway_query_plan_cache_requests_total', { result: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(delta('gateway', 'gateway_query_plan_cache_requests_total', { result: 'miss' })).toBeGreaterThanOrEqual(3);
    // Each plan made is kept (the cache is far from full).
    expect(delta('gateway', 'gateway_query_plan_cache_plans')).toBe(delta('gateway', 'gateway_query_plan_cache_requests_total', { result: 'miss' }));
    // The users subgraph served the gateway's fetches of ProfileForMetrics, under the planner's names for them.
    expect(delta('users', 'graphql_requests_total', { service: 'users', operation: /^ProfileForMetrics__users__\d+$/, status: 'ok' })).toBe(3);
    expect(delta('users', 'graphql_request_duration_seconds_count', { service: 'users', operation: /^ProfileForMetrics__users__\d+$/ })).toBe(3);
    // The one notification's delivery to the socket.
    expect(delta('gateway', 'live_delivery_latency_seconds_count')).toBe(1);
    // The worker: its jobs, the follow queue drained, the fan-out lag of a post just made.
    expect(delta('worker', 'queue_job_duration_seconds_count', { queue: 'feed.follow-created' })).toBe(1);
    expect(delta('worker', 'queue_jobs_processed_total', { queue: 'feed.post-created', status: 'completed' })).toBe(1);
    expect(total(after.worker, 'queue_jobs', { queue: 'feed.follow-created', state: /^(waiting|paused)$/ })).toBe(0);
    expect(total(after.worker, 'queue_oldest_waiting_job_age_seconds', { queue: 'feed.follow-created' })).toBe(0);
    const lag = delta('worker', 'feed_fanout_lag_seconds_sum');
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBeLessThan(15);
    // Node's own, on every process.
    for (const samples of Object.values(after)) {
      expect(total(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    }
  });
});
