import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@shutter/config';
import { activeTraceIds, activeTraceParent, contextFrom, inSpan, MAX_OPERATION_NAMES, metricsResponse, operationLabel, startTelemetry } from '../src/index.ts';

describe('startTelemetry', () => {
  it('is off without an endpoint: no span, no trace context to carry', async () => {
    const telemetry = startTelemetry('test', { source: {} });
    expect(telemetry.enabled).toBe(false);
    await inSpan('work', {}, async () => {
      expect(activeTraceParent()).toBeNull();
      expect(activeTraceIds()).toEqual({});
    });
  });

  it('refuses an endpoint that is not a URL, as a configuration error', () => {
    expect(() => startTelemetry('test', { source: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' } })).toThrow(ConfigError);
  });

  it('with an exporter: a span continues the traceparent it is given, and is what the outbox would store', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = startTelemetry('test', { exporter, source: {} });
    try {
      const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      let carried: string | null = null;
      let ids = {};
      await inSpan('job', { parent: contextFrom(parent) }, async () => {
        carried = activeTraceParent();
        ids = activeTraceIds();
      });
      const [span] = exporter.getFinishedSpans();
      expect(span!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(carried).toBe(`00-0af7651916cd43dd8448eb211c80319c-${span!.spanContext().spanId}-01`);
      expect(ids).toEqual({ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: span!.spanContext().spanId });
      // No traceparent: a trace of its own.
      await inSpan('alone', { parent: contextFrom(null) }, async () => undefined);
      expect(exporter.getFinishedSpans()[1]!.spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    } finally {
      await telemetry.shutdown();
    }
  });
});

describe('operationLabel', () => {
  it('names an operation by its name, anonymous without one, and other past the bound', async () => {
    expect(operationLabel(null)).toBe('anonymous');
    expect(operationLabel('HomeFeed')).toBe('HomeFeed');
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) operationLabel(`Invented${i}`);
    expect(operationLabel('OneTooMany')).toBe('other');
    // Names seen before the bound keep their series.
    expect(operationLabel('HomeFeed')).toBe('HomeFeed');
    expect((await metricsResponse()).body).toContain('# TYPE graphql_requests_total counter');
  });
});
