import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * This process's Prometheus metrics, one registry for every process kind: the gateway and each
 * subgraph serve it on GET /metrics of their HTTP port, a worker on its health listener. The
 * series a process does not produce (a worker's GraphQL requests) stay absent, not zero.
 *
 * Labels are bounded: an operation is its name once validated (else `anonymous`), and past
 * MAX_OPERATION_NAMES distinct names `other`, so that a client inventing names cannot grow the
 * series without end. `service` is the process's service (several run in one test process).
 */
export const metricsRegistry = new Registry();
// Node's own: CPU, memory, heap, event-loop lag, GC, handles.
collectDefaultMetrics({ register: metricsRegistry });

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const graphqlRequests = new Counter({
  name: 'graphql_requests_total',
  help: 'GraphQL operations answered, by operation name and outcome (ok, or error when the answer has errors).',
  labelNames: ['service', 'operation', 'status'] as const,
  registers: [metricsRegistry],
});

export const graphqlErrors = new Counter({
  name: 'graphql_errors_total',
  help: 'Errors in GraphQL answers, by operation and extensions.code.',
  labelNames: ['service', 'operation', 'code'] as const,
  registers: [metricsRegistry],
});

export const graphqlDuration = new Histogram({
  name: 'graphql_request_duration_seconds',
  help: 'Time from the start of a GraphQL operation to its answer, by operation.',
  labelNames: ['service', 'operation'] as const,
  buckets: SECONDS_BUCKETS,
  registers: [metricsRegistry],
});

export const queryPlanCache = new Counter({
  name: 'gateway_query_plan_cache_requests_total',
  help: 'Query plans the gateway looked up in its cache: hit (planned before) or miss (planned now).',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

const queryPlanCacheSources = new Set<() => number>();

/** Reports how many query plans a gateway holds on every scrape, until the returned function is called. */
export function watchQueryPlanCache(plans: () => number): () => void {
  queryPlanCacheSources.add(plans);
  return () => queryPlanCacheSources.delete(plans);
}

new Gauge({
  name: 'gateway_query_plan_cache_plans',
  help: 'Query plans in the gateway\'s cache now (bounded by QUERY_PLAN_CACHE_MIB; the oldest unused go first).',
  registers: [metricsRegistry],
  collect() {
    let plans = 0;
    for (const count of queryPlanCacheSources) plans += count();
    this.set(plans);
  },
});

export const jobsProcessed = new Counter({
  name: 'queue_jobs_processed_total',
  help: 'Jobs run by this worker, by queue and outcome (completed, failed: a failed job may be retried).',
  labelNames: ['queue', 'status'] as const,
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: 'queue_job_duration_seconds',
  help: 'How long a job ran, by queue.',
  labelNames: ['queue'] as const,
  buckets: [...SECONDS_BUCKETS, 30, 60],
  registers: [metricsRegistry],
});

export const feedFanOutLag = new Histogram({
  name: 'feed_fanout_lag_seconds',
  help: "From a post's creation to the last of its followers' timelines written (a fan-out's end).",
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [metricsRegistry],
});

export const liveDeliveryLatency = new Histogram({
  name: 'live_delivery_latency_seconds',
  help: 'From an event published for live updates to its message sent on a socket.',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

/** What a queue holds now, read on each scrape (a few Redis commands per queue). */
export interface QueueDepth {
  counts: Record<string, number>;
  /** When the job waiting longest was added (ms since the epoch); null when none waits. */
  oldestWaitingAddedAt: number | null;
}

const queueProbes = new Map<string, () => Promise<QueueDepth>>();

/** Reports a queue's depth and its oldest waiting job's age on every scrape, until the returned function is called. */
export function watchQueueDepth(queue: string, probe: () => Promise<QueueDepth>): () => void {
  queueProbes.set(queue, probe);
  return () => {
    if (queueProbes.get(queue) === probe) queueProbes.delete(queue);
  };
}

/**
 * Every watched queue's depth, read once per scrape for the two gauges below: queue_jobs (the
 * first registered, so the first collected) reads, queue_oldest_waiting_job_age_seconds takes
 * that reading. A queue whose Redis does not answer is left out of the scrape: absent, not zero.
 */
let reading: Promise<[string, QueueDepth | null][]> | null = null;
const readQueueDepths = () => Promise.all([...queueProbes].map(async ([queue, probe]) => [queue, await probe().catch(() => null)] as [string, QueueDepth | null]));

new Gauge({
  name: 'queue_jobs',
  help: 'Jobs in a queue now, by state (waiting, active, delayed, prioritized, waiting-children, failed).',
  labelNames: ['queue', 'state'] as const,
  registers: [metricsRegistry],
  async collect() {
    reading = readQueueDepths();
    const depths = await reading;
    this.reset();
    for (const [queue, depth] of depths) for (const [state, count] of Object.entries(depth?.counts ?? {})) this.set({ queue, state }, count);
  },
});

new Gauge({
  name: 'queue_oldest_waiting_job_age_seconds',
  help: 'How long the job waiting longest in a queue has waited (0 when none waits).',
  labelNames: ['queue'] as const,
  registers: [metricsRegistry],
  async collect() {
    const depths = await (reading ?? readQueueDepths());
    reading = null;
    this.reset();
    for (const [queue, depth] of depths) {
      if (depth) this.set({ queue }, depth.oldestWaitingAddedAt === null ? 0 : Math.max(0, (Date.now() - depth.oldestWaitingAddedAt) / 1000));
    }
  },
});

const liveSocketSources = new Set<() => number>();

/** Counts a gateway's open graphql-ws sockets on every scrape, until the returned function is called. */
export function watchLiveSockets(count: () => number): () => void {
  liveSocketSources.add(count);
  return () => liveSocketSources.delete(count);
}

new Gauge({
  name: 'live_sockets',
  help: 'Open graphql-ws sockets (live updates) on this process.',
  registers: [metricsRegistry],
  collect() {
    let open = 0;
    for (const count of liveSocketSources) open += count();
    this.set(open);
  },
});

/** At most this many operation names per process get series of their own. */
export const MAX_OPERATION_NAMES = 500;
const operationNames = new Set<string>();

/** The `operation` label of a validated operation's name (null: anonymous). */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_NAMES) return 'other';
  operationNames.add(name);
  return name;
}

/** The answer to GET /metrics: Prometheus's text format. */
export async function metricsResponse(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}
