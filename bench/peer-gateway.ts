/**
 * A peer gateway for bench/gateways.ts, in a process of its own: Hive Gateway (its JavaScript
 * planner and executor) or, with HIVE_ROUTER_RUNTIME=1, Hive Gateway with the Rust query planner
 * (`@graphql-hive/router-runtime`), as `hive-gateway supergraph` would serve it, over our
 * supergraph and subgraphs. What our gateway does for a subgraph call it does too, in an `onFetch`
 * plugin: the viewer from the bearer token (packages/auth's verifier, once per request), the
 * request signed with packages/auth's signer over the exact body it sends.
 *   npx tsx bench/peer-gateway.ts <label>   (env: PEER_PORT, PEER_SUBGRAPH_URLS as JSON
 *     {name: url}, GATEWAY_SIGNING_SECRET, ACCESS_TOKEN_PUBLIC_KEY, HIVE_ROUTER_RUNTIME)
 * The label only names the process (bench/lib.ts's CPU table reads it from the command line).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway';
import { createAccessTokenVerifier, signRequest, type AccessTokenVerifier } from '@shutter/auth';

// Hive's HTTP executor adds an abort listener per subgraph call to a request's signal: 64 clients'
// worth of calls is not a leak, so Node's warning at 10 is only noise here.
setMaxListeners(1000);

const label = process.argv[2] ?? 'hive-gateway';
const port = Number(process.env.PEER_PORT);
const subgraphUrls = JSON.parse(process.env.PEER_SUBGRAPH_URLS ?? '{}') as Record<string, string>;
const secret = process.env.GATEWAY_SIGNING_SECRET!;
const verifier: AccessTokenVerifier = await createAccessTokenVerifier(process.env.ACCESS_TOKEN_PUBLIC_KEY!);
const rustPlanner = ['1', 'true'].includes(process.env.HIVE_ROUTER_RUNTIME ?? '');

// The supergraph our gateway serves, with the subgraph URLs this run's installation listens on.
let supergraph = readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8');
for (const [name, url] of Object.entries(subgraphUrls)) {
  supergraph = supergraph.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]+`), `$1${url}`);
}

/** The viewer of a client request: verified once, shared by all of its subgraph calls. */
const viewers = new WeakMap<object, Promise<string | null>>();
const viewerOf = (request: Request): Promise<string | null> => {
  let viewer = viewers.get(request);
  if (!viewer) {
    const token = request.headers.get('authorization')?.match(/^Bearer (.+)$/)?.[1];
    viewer = token ? verifier.verify(token).then((claims) => claims?.userId ?? null) : Promise.resolve(null);
    viewers.set(request, viewer);
  }
  return viewer;
};

const signing: GatewayPlugin = {
  async onFetch({ options, setOptions, context }) {
    const request = (context as { request?: Request }).request;
    const viewerId = request ? await viewerOf(request) : null;
    const body = typeof options.body === 'string' ? options.body : '';
    setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), ...signRequest(secret, { viewerId, requestId: randomUUID(), body }) } });
  },
};

const gateway = createGatewayRuntime({
  supergraph,
  logging: 'error',
  // Each client request is its own subgraph calls: nothing merged with another in flight.
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
  plugins: () => [signing],
  ...(rustPlanner ? { unifiedGraphHandler: (await import('@graphql-hive/router-runtime')).unifiedGraphHandler } : {}),
});

const server = createServer(gateway);
server.listen(port, '127.0.0.1', () => process.stdout.write(`${label} listening on ${port}\n`));
const stop = () => server.close(() => void Promise.resolve(gateway.dispose()).finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
