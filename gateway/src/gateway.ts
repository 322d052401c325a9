import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { createAccessTokenVerifier } from '@shutter/auth';
import { randomUUID } from 'node:crypto';
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { LiveChannelsClient } from '@shutter/contracts';
import { createErrorFormatter, createLogger, executeGraphQL, graphqlMetricsPlugin, inputStringsPlugin, json, readinessProbe, redisDependency, redisReady, startHttpServer, subgraphDependency, withDeadline, type Logger, type RunningHttpServer } from '@shutter/service';
import { subgraphUrls as configuredSubgraphUrls, type GatewayConfig } from './config.ts';
import { bearerToken, type GatewayContext } from './context.ts';
import { LiveHub } from './live/hub.ts';
import { subscriptionOwners, supergraphSubgraphs } from './supergraph.ts';
import { startLiveServer } from './live/server.ts';
import type { HydrationCounts } from './live/shared-hydration.ts';
import { SignedSubgraphDataSource } from './subgraph-data-source.ts';
import { queryPlanCache, watchLiveSockets, watchQueryPlanCache } from '@shutter/telemetry';
import { addressKey, ClientAddresses } from './client-address.ts';
import { Safelist } from './safelist.ts';
import { fieldRateLimitPlugin, mergeRateLimitHeaders, rateLimitedMessage, rateLimitHeaders, RateLimits, type BucketName, type RateLimitSetting } from './rate-limits.ts';

/**
 * Operation limits, applied before planning: a hostile query costs a validation pass, not a fan-out.
 * maxTokens is graphql-js's own parse option (Apollo's parseOptions): the parser stops at the limit
 * with a syntax error, which is a 400 GRAPHQL_PARSE_FAILED like any other. (graphql-armor's Apollo
 * max-tokens plugin parsed every document a second time and turned every syntax error into a 500
 * GRAPHQL_VALIDATION_FAILED: graphql-armor issues 571, 605 and 751.)
 */
export const OPERATION_LIMITS = {
  maxDepth: 12,
  maxAliases: 20,
  maxTokens: 3000,
  maxDirectives: 50,
  maxCost: 20_000,
} as const;

/**
 * Refused before the gateway plans them, each with a clear 400 instead of a 500: an operationName
 * the document does not have (Apollo Gateway throws its own INVALID_GRAPHQL for it, which is no code
 * of ours, so it was masked as INTERNAL_SERVER_ERROR), and a subscription (Apollo Gateway executes
 * none; they are served over graphql-ws).
 */
const operationsTheGatewayRuns: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (!operation) {
          throw new GraphQLError(request.operationName ? `The document has no operation named "${request.operationName}".` : 'The document has several operations: say which with operationName.', {
            extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
          });
        }
        if (operation.operation === 'subscription') {
          throw new GraphQLError('Subscriptions are served over graphql-ws (a WebSocket) at this same URL, not over HTTP.', {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          });
        }
      },
    };
  },
};

export interface RunningGateway extends RunningHttpServer {
  graphqlUrl: string;
  /** Open graphql-ws sockets on this process. */
  liveConnections(): number;
  /** The Redis channels this process listens on for its sockets, with their subscription counts. */
  liveChannels(): Record<string, number>;
  /** How many live-event hydrations have run, by kind: shared (once per event), viewer parts, full. */
  liveHydrations(): HydrationCounts;
}

export async function startGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const production = config.NODE_ENV === 'production';
  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
  const safelist = config.GATEWAY_SAFELIST ? Safelist.load(config.GATEWAY_SAFELIST_MANIFEST) : null;
  if (safelist) logger.info({ manifest: config.GATEWAY_SAFELIST_MANIFEST, documents: safelist.size }, 'safelist on: only the manifest\'s operations run');
  const subgraphUrls = configuredSubgraphUrls(supergraphSubgraphs(supergraphSdl), config.urlVariables);
  const dataSources: SignedSubgraphDataSource[] = [];
  const planCache = countedQueryPlanCache(config.QUERY_PLAN_CACHE_MIB);
  const unwatchPlanCache = watchQueryPlanCache(() => planCache.keys().length);

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      const target = subgraphUrls.get(name);
      if (!target) throw new Error(`the supergraph names a subgraph "${name}" it gives no URL for`);
      const dataSource = new SignedSubgraphDataSource(name, target, config.GATEWAY_SIGNING_SECRET);
      dataSources.push(dataSource);
      return dataSource;
    },
    queryPlannerConfig: { cache: planCache },
    logger: logger.child({ component: 'apollo-gateway' }),
  });

  let apiSchema: GraphQLSchema | null = null;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });

  const armor = new ApolloArmor({
    maxDepth: { n: OPERATION_LIMITS.maxDepth },
    maxAliases: { n: OPERATION_LIMITS.maxAliases },
    maxTokens: { enabled: false },
    maxDirectives: { n: OPERATION_LIMITS.maxDirectives },
    // A fragment spread costs what its fields cost where it is spread: by default graphql-armor
    // counts each spread as one more level (x1.5), so a client whose components own their data
    // through fragments (the web client) paid up to 4x for the same selection written inline.
    costLimit: { maxCost: OPERATION_LIMITS.maxCost, flattenFragments: true },
    // Field suggestions ("did you mean ...") would reveal the schema where introspection is off.
    blockFieldSuggestion: { enabled: production },
  }).protect();

  const rateLimits = new RateLimits(rateLimitSettings(config), {
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    commandTimeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    logger,
  });
  // Shared limits from the first request: wait for their Redis (a bounded wait; without it the
  // gateway still starts, and limits alone until it is back).
  await rateLimits.connected(Math.max(1000, config.RATE_LIMIT_REDIS_TIMEOUT_MS));
  const addresses = new ClientAddresses(config.TRUSTED_PROXIES);

  // Every string argument and variable, at the door: no NUL, no lone surrogate, none longer than any field takes.
  const inputStringLimits = { maxLength: config.MAX_INPUT_STRING_LENGTH };
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    csrfPrevention: true,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // With the safelist, the persisted-query cache is the manifest (nothing can be registered);
    // without, Apollo's automatic persisted queries as usual.
    ...(safelist ? { persistedQueries: safelist.persistedQueries() } : {}),
    formatError: createErrorFormatter(logger, { service: 'gateway' }),
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
    // runMain owns SIGINT/SIGTERM and closes sockets, HTTP, Apollo and Redis in order.
    stopOnTerminationSignals: false,
    plugins: [
      // graphql-armor is a CommonJS package and so types its plugins with @apollo/server's CJS
      // declarations; at run time they are plain plugin objects.
      ...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]),
      operationsTheGatewayRuns,
      graphqlMetricsPlugin<GatewayContext>('gateway'),
      inputStringsPlugin<GatewayContext>(inputStringLimits),
      fieldRateLimitPlugin(rateLimits),
      production ? ApolloServerPluginLandingPageProductionDefault({ footer: false }) : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
    ],
  });
  await apollo.start();

  const verifier = await createAccessTokenVerifier(config.ACCESS_TOKEN_PUBLIC_KEY);

  const hub = new LiveHub(config.REDIS_URL, logger);
  // The same for the live hub: a subscription set up before its connection is ready would be
  // refused ("live updates are unavailable"), as during an outage.
  await redisReady(hub.redis, 2000);
  // Each subgraph's own readiness, and the Redis of live updates. None is required: with one down
  // the gateway still answers with what the others give (partial answers), so it stays in rotation.
  const readiness = readinessProbe([...[...subgraphUrls].map(([name, url]) => subgraphDependency(name, url)), redisDependency(hub.redis, false)], { timeoutMs: 1500 });

  const http = await startHttpServer({
    host: config.GATEWAY_HOST,
    port: config.GATEWAY_PORT,
    logger,
    // Not reachable from the public: the web server proxies /graphql alone, and the Ingress routes
    // to the web server only (README, "Observability").
    metrics: true,
    handler: async (request) => {
      const path = request.url.pathname;
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz') return readiness.respond();
      if (path !== '/graphql' && path !== '/') return json(404, { error: 'not found' });

      // A missing, malformed or expired token makes an anonymous request: fields that need a viewer
      // answer UNAUTHENTICATED, and the header tells a client that its token is the reason.
      const authorization = request.header('authorization');
      const bearer = bearerToken(authorization);
      const claims = bearer ? await verifier.verify(bearer) : null;
      const viewerId = claims?.userId ?? null;
      // Counted before any parsing: a flood costs a Redis call per request, not a parse and a plan.
      const clientAddress = addressKey(addresses.of(request.remoteAddress, request.headers['x-forwarded-for']));
      const limited = await rateLimits.consume([{ bucket: 'ip', key: `ip:${clientAddress}` }, ...(viewerId ? [{ bucket: 'user' as const, key: `user:${viewerId}` }] : [])]);
      if (!limited.allowed) {
        return json(429, { errors: [{ message: rateLimitedMessage(limited), extensions: { code: 'RATE_LIMITED', retryAfter: limited.retryAfterSeconds, buckets: limited.refused } }] }, rateLimitHeaders(limited));
      }
      const response = await executeGraphQL(apollo, request, async () => ({ viewerId, requestId: request.requestId, clientAddress }), {
        requestErrorsAs200ForJson: true,
        screen: safelist ? (named) => screenBySafelist(safelist, named) : undefined,
      });
      response.headers = mergeRateLimitHeaders(rateLimitHeaders(limited), response.headers ?? {});
      if (bearer && !claims) {
        response.headers = { ...response.headers, 'www-authenticate': 'Bearer error="invalid_token"' };
      }
      return response;
    },
  });

  // Each Subscription field's owner, and a client of its live-channels endpoint.
  const liveOwners = new Map<string, LiveChannelsClient>();
  for (const [field, subgraph] of subscriptionOwners(supergraphSdl)) {
    const url = subgraphUrls.get(subgraph);
    if (url) liveOwners.set(field, new LiveChannelsClient({ name: subgraph, url, signingSecret: config.GATEWAY_SIGNING_SECRET }));
  }
  const live = startLiveServer({
    server: http.server,
    path: '/graphql',
    schema: () => {
      if (!apiSchema) throw new Error('the supergraph is not loaded yet');
      return apiSchema;
    },
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
    inputStringLimits,
    rateLimits,
    safelist,
    clientAddress: (peer, forwardedFor) => addressKey(addresses.of(peer, forwardedFor)),
    verifier,
    hub,
    route: (field, viewerId) => liveOwners.get(field)?.channels(field, viewerId) ?? null,
    // Through Apollo Server itself: the same plugins, limits, plan cache and error masking as HTTP.
    hydrate: async (query, variables, viewerId) => {
      const response = await apollo.executeOperation({ query, variables }, { contextValue: { viewerId, requestId: randomUUID(), clientAddress: null, internal: true } });
      if (response.body.kind !== 'single') throw new Error('unexpected incremental result');
      const { data, errors } = response.body.singleResult;
      // Apollo hands back errors already formatted (masked) as plain objects; graphql-ws serialises
      // GraphQLErrors, so they go back into that shape (data with a partial error stays deliverable).
      return {
        data: data ?? null,
        ...(errors?.length ? { errors: errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })) } : {}),
      } as ExecutionResult;
    },
    limits: {
      subscriptionsPerConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
      connectionsPerUser: config.CONNECTIONS_PER_USER,
      keepAliveMs: config.WS_KEEPALIVE_MS,
      maxPendingEvents: config.WS_MAX_PENDING_EVENTS,
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    },
    logger,
  });

  const unwatchLiveSockets = watchLiveSockets(live.connections);
  logger.info({ url: `${http.url}/graphql` }, 'gateway listening (HTTP and graphql-ws)');
  return {
    ...http,
    graphqlUrl: `${http.url}/graphql`,
    liveConnections: live.connections,
    liveChannels: () => hub.channels(),
    liveHydrations: live.hydrations,
    close: async () => {
      // Each step bounded (runMain's deadline is the backstop): sockets, then HTTP (its grace for
      // requests in flight), Apollo, the pools to the subgraphs, Redis.
      unwatchLiveSockets();
      unwatchPlanCache();
      await withDeadline(live.close(), 2000, () => logger.warn('live sockets did not close in 2 s'));
      await http.close();
      await apollo.stop();
      await withDeadline(Promise.all(dataSources.map((d) => d.close())), 1000, () => Promise.all(dataSources.map((d) => d.destroy())));
      await hub.close();
      await rateLimits.close();
    },
  };
}

/**
 * The query-plan cache Apollo Gateway would make itself (an LRU bounded by an approximate size in
 * MiB, the size of a plan its JSON's), with each lookup counted: a hit is a plan reused, a miss an
 * operation planned (about 1 ms each), the rate of which is what QUERY_PLAN_CACHE_MIB is sized by.
 */
type QueryPlanCache = NonNullable<NonNullable<NonNullable<ConstructorParameters<typeof ApolloGateway>[0]>['queryPlannerConfig']>['cache']>;
type QueryPlan = NonNullable<Awaited<ReturnType<QueryPlanCache['get']>>>;

function countedQueryPlanCache(mib: number): QueryPlanCache & { keys(): string[] } {
  const cache = new InMemoryLRUCache<QueryPlan>({ maxSize: 2 ** 20 * mib, sizeCalculation: (plan) => Buffer.byteLength(JSON.stringify(plan), 'utf8') });
  return {
    get: async (key) => {
      const plan = await cache.get(key);
      queryPlanCache.inc({ result: plan === undefined ? 'miss' : 'hit' });
      return plan;
    },
    set: (key, value, options) => cache.set(key, value, options),
    delete: (key) => cache.delete(key),
    // A new supergraph (Apollo Gateway clears its plans then).
    clear: () => cache.clear(),
    keys: () => cache.keys(),
  };
}

/** The safelist's answer for HTTP: a document not in the manifest is a 400; an unknown hash alone is APQ's usual 200. */
function screenBySafelist(safelist: Safelist, named: { query: unknown; extensions: unknown }) {
  const { error } = safelist.check(named);
  if (!error) return null;
  return { status: error.extensions.code === 'PERSISTED_QUERY_NOT_FOUND' ? 200 : 400, error };
}

/** Each bucket's size from the configuration (null: off). */
function rateLimitSettings(config: GatewayConfig): Record<BucketName, RateLimitSetting | null> {
  return {
    ip: config.RATE_LIMIT_IP,
    user: config.RATE_LIMIT_USER,
    logIn: config.RATE_LIMIT_LOG_IN,
    logInAccount: config.RATE_LIMIT_LOG_IN_ACCOUNT,
    signUp: config.RATE_LIMIT_SIGN_UP,
    refreshSession: config.RATE_LIMIT_REFRESH_SESSION,
    createUpload: config.RATE_LIMIT_CREATE_UPLOAD,
    wsConnect: config.RATE_LIMIT_WS_CONNECT,
  };
}
