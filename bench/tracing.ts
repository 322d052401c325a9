/**
 * What tracing costs a feed read: the home `feed` (20 posts with author, images, counts) through
 * the gateway, with tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT: the OpenTelemetry API's no-op)
 * against tracing on (every span exported over OTLP/HTTP to a receiver in this process).
 *
 * Two stacks (gateway, four subgraphs, four workers in one process each, as the e2e tests run
 * them: gateway/test/stack.ts), one per setting, each a child process with its own databases and
 * the same data. They take turns: a round of sequential reads in one, then in the other, and so
 * on, so that whatever else the (shared, contended) machine does falls on both alike. Per round,
 * each child reports its own CPU time (process.cpuUsage: the gateway's and the subgraphs' work,
 * the span export included) and the requests' wall times. The receiver counts the spans it gets.
 *
 *   POSTGRES_URL=postgres://... npx tsx bench/tracing.ts   (TRACING_BENCH_ROUNDS=8, TRACING_BENCH_REQUESTS=200)
 * Port: the receiver listens on TRACING_BENCH_PORT (5200); the stacks take free ports.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { progress, quantiles, round, writeResults } from './lib.ts';

const ROUNDS = Number(process.env.TRACING_BENCH_ROUNDS ?? 8);
const REQUESTS = Number(process.env.TRACING_BENCH_REQUESTS ?? 200);
const PORT = Number(process.env.TRACING_BENCH_PORT ?? 5200);

const FEED_QUERY = `query HomeFeed { feed(first: 20) {
  edges { cursor node { id caption createdAt likeCount commentCount viewerHasLiked
    author { id username displayName followerCount }
    media { url width height blurhash } } }
  pageInfo { hasNextPage endCursor } } }`;

type ToChild = { round: number } | { stop: true };
type FromChild = { ready: true } | { round: number; cpuMicros: number; wallMs: number[] } | { stopped: true };

if (process.env.TRACING_BENCH_CHILD) await child(process.env.TRACING_BENCH_CHILD === 'on');
else await parent();

async function child(tracing: boolean): Promise<void> {
  const { startTelemetry } = await import('@shutter/telemetry');
  const telemetry = startTelemetry('bench', { source: tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${PORT}` } : {} });
  if (telemetry.enabled !== tracing) throw new Error(`tracing should be ${tracing ? 'on' : 'off'}`);
  const { startStack } = await import('../gateway/test/stack.ts');
  const stack = await startStack();
  const send = (message: FromChild) => process.send!(message);
  const reader = await stack.signUp('bench_reader');
  const authors = [];
  for (let i = 1; i <= 4; i++) authors.push(await stack.signUp(`bench_author_${i}`));
  for (const author of authors) await stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: author.id }, token: reader.token });
  await stack.query({ query: FEED_QUERY, token: reader.token });
  for (let i = 0; i < 20; i++) await stack.createPhotoPost(authors[i % authors.length]!.token, `post ${i + 1}`);
  const read = async () => {
    const result = await stack.query({ query: FEED_QUERY, token: reader.token });
    if (result.errors || result.data?.feed?.edges?.length !== 20) throw new Error(`feed: ${JSON.stringify(result).slice(0, 300)}`);
  };
  // Until the fan-outs are in and the plan, pools and JIT are warm.
  for (let tries = 0; ; tries++) {
    try {
      await read();
      break;
    } catch (err) {
      if (tries > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let i = 0; i < 200; i++) await read();
  process.on('message', async (message: ToChild) => {
    if ('stop' in message) {
      await stack.close();
      await telemetry.shutdown();
      send({ stopped: true });
      process.exit(0);
    }
    const cpu = process.cpuUsage();
    const wallMs: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      await read();
      wallMs.push(performance.now() - started);
    }
    const used = process.cpuUsage(cpu);
    send({ round: message.round, cpuMicros: used.user + used.system, wallMs });
  });
  send({ ready: true });
}

async function parent(): Promise<void> {
  // The OTLP/HTTP receiver: JSON (what @opentelemetry/exporter-trace-otlp-http sends), spans counted.
  let spans = 0;
  let exports = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
      for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(PORT, '127.0.0.1', resolve));

  const start = (setting: 'off' | 'on') => {
    const proc = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, TRACING_BENCH_CHILD: setting, LOG_LEVEL: 'silent' }, execArgv: ['--import', 'tsx'] });
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`tracing ${setting}: exited with ${code}`)));
      proc.on('message', (m: FromChild) => 'ready' in m && resolve());
    });
    return { setting, proc, ready };
  };
  progress('tracing: two stacks (tracing off, tracing on), each with a reader of 20 posts…');
  const children = [start('off'), start('on')];
  await Promise.all(children.map((c) => c.ready));
  const ask = (proc: ChildProcess, message: ToChild) =>
    new Promise<FromChild>((resolve) => {
      proc.once('message', resolve);
      proc.send(message);
    });

  const results: Record<'off' | 'on', { cpuMsPerRequest: number[]; wallMs: number[] }> = { off: { cpuMsPerRequest: [], wallMs: [] }, on: { cpuMsPerRequest: [], wallMs: [] } };
  const spansBefore = spans;
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    // Alternating which goes first: off, on | on, off | ...
    const order = round_ % 2 === 0 ? children : [...children].reverse();
    for (const { setting, proc } of order) {
      const answer = (await ask(proc, { round: round_ })) as { cpuMicros: number; wallMs: number[] };
      results[setting].cpuMsPerRequest.push(answer.cpuMicros / 1000 / REQUESTS);
      results[setting].wallMs.push(...answer.wallMs);
      progress(`round ${round_ + 1}/${ROUNDS} tracing ${setting}: ${round(answer.cpuMicros / 1000 / REQUESTS)} ms CPU per request`);
    }
  }
  for (const { proc } of children) await ask(proc, { stop: true });
  receiver.close();

  const summary = (setting: 'off' | 'on') => {
    const cpu = quantiles(results[setting].cpuMsPerRequest);
    const wall = quantiles(results[setting].wallMs);
    return { cpuMsPerRequestMedianOfRounds: cpu.p50, cpuMsPerRequestRounds: results[setting].cpuMsPerRequest.map((v) => round(v, 3)), wallMs: wall };
  };
  const off = summary('off');
  const on = summary('on');
  const spansPerRequest = round((spans - spansBefore) / (ROUNDS * REQUESTS), 1);
  const cpuOverhead = round((on.cpuMsPerRequestMedianOfRounds / off.cpuMsPerRequestMedianOfRounds - 1) * 100, 1);
  const wallOverhead = round((on.wallMs.p50 / off.wallMs.p50 - 1) * 100, 1);
  console.log(`feed through the gateway, ${ROUNDS} rounds of ${REQUESTS} sequential requests each, interleaved:`);
  console.log(`  tracing off: ${off.cpuMsPerRequestMedianOfRounds} ms CPU per request (median of rounds), wall p50 ${off.wallMs.p50} / p99 ${off.wallMs.p99} ms`);
  console.log(`  tracing on:  ${on.cpuMsPerRequestMedianOfRounds} ms CPU per request (median of rounds), wall p50 ${on.wallMs.p50} / p99 ${on.wallMs.p99} ms`);
  console.log(`  overhead: CPU +${cpuOverhead}%, wall p50 +${wallOverhead}%; ${spansPerRequest} spans exported per request (${exports} exports)`);
  writeResults(
    'tracing',
    [
      { workload: 'feed through the gateway, sequential, tracing off', metric: 'CPU per request (all services)', value: off.cpuMsPerRequestMedianOfRounds, unit: 'ms' },
      { workload: 'feed through the gateway, sequential, tracing on (OTLP/HTTP export)', metric: 'CPU per request (all services)', value: on.cpuMsPerRequestMedianOfRounds, unit: 'ms' },
      { workload: 'feed through the gateway, sequential', metric: 'tracing CPU overhead', value: cpuOverhead, unit: '%' },
      { workload: 'feed through the gateway, sequential, tracing off', metric: 'p50', value: off.wallMs.p50, unit: 'ms' },
      { workload: 'feed through the gateway, sequential, tracing on (OTLP/HTTP export)', metric: 'p50', value: on.wallMs.p50, unit: 'ms' },
      { workload: 'feed through the gateway, tracing on', metric: 'spans exported per request', value: spansPerRequest, unit: 'spans' },
    ],
    { rounds: ROUNDS, requestsPerRound: REQUESTS, off, on, exports },
  );
}
