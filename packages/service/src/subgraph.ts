import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { readFileSync } from 'node:fs';
import { verifyRequestSignature } from '@shutter/auth';
import { parse } from 'graphql';
import type { Sql } from '@shutter/db';
import type { Logger } from 'pino';
import { createErrorFormatter } from './errors.ts';
import type { EndpointRoute } from './endpoints.ts';
import { executeGraphQL } from './graphql-handler.ts';
import { inputStringsPlugin } from './input-strings.ts';
import { graphqlMetricsPlugin } from './graphql-metrics.ts';
import { entityKeys, representationsPlugin } from './representations.ts';
import { postgresDependency, readinessProbe, type Dependency } from './readiness.ts';
import { graphqlErrorResponse, json, startHttpServer, type RunningHttpServer, type StreamHandler } from './http-server.ts';

/** What every subgraph resolver receives: the viewer the gateway vouched for, and the request's log. */
export interface SubgraphContextBase {
  viewerId: string | null;
  requestId: string;
  log: Logger;
}

export interface SubgraphServerOptions<TContext extends SubgraphContextBase> {
  name: string;
  /** The subgraph's SDL file (src/schema.graphql; the build copies it beside the bundle). */
  schemaFile: URL;
  // Typed resolvers from codegen are structurally wider than Apollo's map; the cast stays here.
  resolvers: unknown;
  logger: Logger;
  host?: string;
  port: number;
  /** The secret the gateway signs requests with; unsigned or badly signed requests get 401. */
  signingSecret: string;
  /** Builds the per-request context (DataLoaders, the db) from the verified base. */
  context: (base: SubgraphContextBase) => TContext;
  /**
   * The service's database pool: /readyz pings it, and close() ends it after the HTTP server, so
   * every subgraph gets the same readiness and shutdown order.
   */
  database: { sql: Sql; close(): Promise<void> };
  /** What else /readyz checks: the other services it calls, its Redis, its storage. */
  dependencies?: Dependency[];
  /** Public, unsigned, streamed routes (media's upload and file URLs); all else is signed. */
  streamHandler?: StreamHandler;
  /** Its internal API (packages/contracts endpoints that other services call), signed like /graphql. */
  endpoints?: EndpointRoute[];
}

export type RunningSubgraph = RunningHttpServer;

export async function startSubgraphServer<TContext extends SubgraphContextBase>(
  options: SubgraphServerOptions<TContext>,
): Promise<RunningSubgraph> {
  const { logger } = options;
  const typeDefs = parse(readFileSync(options.schemaFile, 'utf8'));
  const apollo = new ApolloServer<TContext>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    formatError: createErrorFormatter(logger, { service: options.name }),
    includeStacktraceInErrorResponses: false,
    // Only the gateway calls a subgraph, and it does with signed POSTs: no landing page here.
    // No GraphOS here, so no traces to inline into responses.
    // The gateway refuses NULs and lone surrogates already; a subgraph checks again, so that one
    // reached some other way still gets BAD_USER_INPUT rather than a database error.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), graphqlMetricsPlugin<TContext>(options.name), inputStringsPlugin<TContext>(), representationsPlugin<TContext>(entityKeys(typeDefs))],
    introspection: true,
    // runMain owns SIGINT/SIGTERM and stops things in order (HTTP, Apollo, database); Apollo's own
    // handlers would run a second stop alongside and re-raise the signal.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const endpoints = new Map((options.endpoints ?? []).map((e) => [e.path, e]));
  const readiness = readinessProbe([postgresDependency(options.database.sql), ...(options.dependencies ?? [])]);

  const http = await startHttpServer({
    host: options.host,
    port: options.port,
    logger,
    streamHandler: options.streamHandler,
    // The signed routes' callers (the gateway, other services) are in the trace already: their
    // spans are the parents. The stream routes (media's upload PUTs and file GETs) are the
    // public's, through the web origin, and start traces of their own.
    continueTraces: (path) => path === '/graphql' || endpoints.has(path),
    metrics: true,
    handler: async (request) => {
      const path = request.url.pathname;
      if (path === '/healthz') return json(200, { status: 'ok' });
      if (path === '/readyz') return readiness.respond();
      const route = path === '/graphql' ? null : endpoints.get(path);
      if (path !== '/graphql' && !route) return json(404, { error: 'not found' });

      const check = verifyRequestSignature(options.signingSecret, request.header, request.body);
      if (!check.ok) {
        request.log.warn({ reason: check.reason, path }, 'refused an unsigned request');
        return graphqlErrorResponse(401, 'UNAUTHENTICATED', 'This service answers only signed requests from the gateway.');
      }
      if (route) return route.handle(request, check.viewerId);
      return executeGraphQL(apollo, request, async () =>
        options.context({ viewerId: check.viewerId, requestId: request.requestId, log: request.log }),
      );
    },
  });
  logger.info({ url: `${http.url}/graphql` }, `${options.name} subgraph listening`);
  return {
    ...http,
    close: async () => {
      await http.close();
      await apollo.stop();
      await options.database.close();
    },
  };
}
