import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { loadConfig, telemetryFields, z } from '@shutter/config';

export { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span };

export const telemetrySchema = z.object(telemetryFields);

export interface Telemetry {
  /** Whether spans are recorded (an exporter is set); when not, every tracing call is the API's no-op. */
  enabled: boolean;
  /** Exports what is buffered, then stops: the last spans of a stopping process are not lost. */
  shutdown(): Promise<void>;
}

const DISABLED: Telemetry = { enabled: false, shutdown: async () => undefined };

/**
 * Sets up tracing for this process, once, at its start (every server and worker entry does, through
 * withTelemetry). With OTEL_EXPORTER_OTLP_ENDPOINT set, spans are batched to that OTLP/HTTP
 * collector (`<endpoint>/v1/traces`); unset, nothing is registered and the OpenTelemetry API stays
 * its no-op (no span is made, no context is carried, the cost is a function call). Tests pass an
 * exporter of their own (an InMemorySpanExporter) instead.
 *
 * Registering sets the process-wide tracer provider, the AsyncLocalStorage context manager (the
 * active span follows awaits) and the W3C trace-context propagator (the `traceparent` header, and
 * what the outbox stores). No auto-instrumentation: the services run as esbuild bundles, which
 * require hooks cannot patch; the spans are made where our code is (the HTTP server, the gateway's
 * subgraph fetcher, the internal clients, the queue workers) and by Apollo Gateway itself.
 */
export function startTelemetry(
  service: string,
  options: { exporter?: SpanExporter; source?: Record<string, string | undefined> } = {},
): Telemetry {
  const config = loadConfig(`${service} telemetry`, telemetrySchema, options.source);
  const exporter =
    options.exporter ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT ? new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` }) : null);
  if (!exporter) return DISABLED;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? service }),
    // A test's exporter sees each span as it ends; a collector gets them in batches, off the request path.
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return {
    enabled: true,
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * A process entry's start, with telemetry set up before it and shut down after its close (for
 * runMain: a bad OTEL_* variable is a configuration error like any other).
 */
export function withTelemetry(service: string, start: () => Promise<{ close(): Promise<void> }>): () => Promise<{ close(): Promise<void> }> {
  return async () => {
    const telemetry = startTelemetry(service);
    const running = await start();
    return {
      close: async () => {
        await running.close();
        await telemetry.shutdown().catch(() => undefined);
      },
    };
  };
}

/** Our spans' tracer: the instrumentation is Shutter's own, whichever process it runs in. */
export const tracer = () => trace.getTracer('shutter');

/** The W3C `traceparent` of the active span (what the outbox row and the job carry); null when none. */
export function activeTraceParent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** Adds the active span's trace context (`traceparent`, and `tracestate` if any) to outgoing headers. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * The context a `traceparent` (a header, a job's) continues; with none, a new trace's root. Never
 * the active context: a request or a job is its own trace, not part of whatever ran before it.
 */
export function contextFrom(traceparent: string | null | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, tracestate ? { traceparent, tracestate } : { traceparent });
}

/**
 * Runs `work` in a new span, active for everything it awaits, ended when it settles; an exception
 * marks the span failed and is rethrown. `parent` is the context it continues (the active one by
 * default).
 */
export function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, options.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active span's ids, for a log line: nothing when no span is being recorded. */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  // Unsampled spans are not exported: their ids would point at nothing.
  if (!(traceFlags & 1)) return {};
  return { trace_id: traceId, span_id: spanId };
}
