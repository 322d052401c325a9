import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { SpanKind } from '@opentelemetry/api';
import { startTelemetry, type Telemetry } from '@shutter/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.ts';

/**
 * One trace from a gateway request through the subgraphs it calls and into the job the request
 * queued (outbox row → relay → BullMQ job → worker). The stack runs in this process, so one
 * in-memory exporter sees every process's spans; what links them is only what travels between
 * them: the `traceparent` header over real HTTP, and the outbox row's trace_context in Postgres and
 * then in the job's data in Redis.
 */
const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let stack: Stack;

beforeAll(async () => {
  telemetry = startTelemetry('shutter-test', { exporter, source: {} });
  stack = await startStack();
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
  });
});
