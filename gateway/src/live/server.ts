import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, Kind, OperationTypeNode, getOperationAST, type ExecutionResult, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessTokenVerifier } from '@shutter/auth';
import { ServiceUnavailableError } from '@shutter/contracts';
import { badInputStringError, findBadInputString, requestUrl, type InputStringLimits, type Logger } from '@shutter/service';
import { CLOSE, closeSocket, socketAuthenticator, type SocketViewer } from './auth.ts';
import { serveGraphQLWs } from './ws-adapter.ts';
import { EVENT_ID_VARIABLE, hydrationQuery, hydrationValidator, subscriptionDocuments } from './hydration.ts';
import type { LiveHub } from './hub.ts';
import { liveSubscription } from './subscription.ts';
import { EventHydrator, hydrationPlanner, type HydrationPlan } from './shared-hydration.ts';
import type { Safelist } from '../safelist.ts';
import { rateLimitedError, rateLimitedMessage, rateLimitHeaders, type RateLimits } from '../rate-limits.ts';

export interface LiveLimits {
  subscriptionsPerConnection: number;
  connectionsPerUser: number;
  /** Server pings this often; a socket that misses a pong is closed (keeps proxies from idling it out too). */
  keepAliveMs: number;
  /** Events waiting for a socket; past this the client is too slow and is closed (memory stays bounded). */
  maxPendingEvents: number;
  /** Bytes the socket may have unsent before the client counts as too slow. */
  maxBufferedBytes: number;
}

/** What a Subscription field's owner says of one subscription to it (the live-channels endpoint). */
export interface LiveRoute {
  channels: string[];
  hydrateWith: string;
}

export interface LiveServerOptions {
  server: Server;
  path: string;
  schema: () => GraphQLSchema;
  validationRules: ValidationRule[];
  /** The same parse limits as HTTP operations (maxTokens). */
  parseOptions: ParseOptions;
  /** The same string checks as HTTP operations. */
  inputStringLimits: InputStringLimits;
  verifier: AccessTokenVerifier;
  /** Socket opens count per client address (at the upgrade) and per user (at connection_init); each subscribe per user. */
  rateLimits: RateLimits;
  /** With GATEWAY_SAFELIST, only the manifest's subscriptions may start. */
  safelist: Safelist | null;
  /** The client's address key from the peer and its X-Forwarded-For (as for HTTP). */
  clientAddress(peer: string, forwardedFor: string | string[] | undefined): string;
  hub: LiveHub;
  /** Asks the owner of a Subscription field what the viewer's subscription to it listens on; null for a field nobody owns. */
  route(field: string, viewerId: string): Promise<LiveRoute> | null;
  /** Runs a query through the gateway as the viewer, or anonymously (null: a part shared by many viewers). */
  hydrate(query: string, variables: Record<string, unknown>, viewerId: string | null): Promise<ExecutionResult>;
  limits: LiveLimits;
  logger: Logger;
}

interface Extra extends Record<PropertyKey, unknown> {
  viewer: SocketViewer;
  socket: WebSocket;
}

interface SubscriptionPlan {
  field: string;
  hydration: HydrationPlan;
  channels: string[];
}

/**
 * A module-level function, not an arrow in the upgrade handler: that arrow would keep the handler's
 * scope (the upgrade request and its headers) alive for as long as the socket is open.
 */
function destroyOnError(this: Duplex) {
  this.destroy();
}

const badRequest = (message: string) => [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })];

/**
 * graphql-ws on the gateway's HTTP server, at the same path as HTTP GraphQL. Apollo Gateway
 * executes no subscriptions, so each subscription listens on the Redis channels its field's owner
 * names for the viewer, and each event (an id) is resolved for the client's selection set by a
 * query through the gateway itself.
 */
export function startLiveServer(options: LiveServerOptions) {
  const { limits, logger, hub } = options;
  // graphql-ws's protocol choice: graphql-transport-ws, or none (then closed with 4406).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, handleProtocols: (protocols) => handleProtocols(protocols) });
  const auth = socketAuthenticator(options.verifier, limits.connectionsPerUser);
  const validateHydration = hydrationValidator(options.validationRules, options.parseOptions);
  const checkDocument = subscriptionDocuments(options.validationRules, options.parseOptions);
  const planHydration = hydrationPlanner((query) => validateHydration(options.schema(), query).length === 0);
  const hydrator = new EventHydrator(options.hydrate);

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = requestUrl(request.url).pathname;
    if (path !== options.path) {
      socket.destroy();
      return;
    }
    // The socket is ours until the upgrade: a client that resets it while we ask Redis must not
    // become an unhandled 'error'.
    socket.on('error', destroyOnError);
    const address = options.clientAddress(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for']);
    options.rateLimits.consume([{ bucket: 'wsConnect', key: `ip:${address}` }]).then(
      (outcome) => {
        if (socket.destroyed) return;
        if (outcome.allowed) {
          wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
          return;
        }
        // Refused before the upgrade: a plain HTTP 429 with the same body and headers as HTTP GraphQL.
        const body = JSON.stringify({ errors: [{ message: rateLimitedMessage(outcome), extensions: { code: 'RATE_LIMITED', retryAfter: outcome.retryAfterSeconds, buckets: outcome.refused } }] });
        const headers = { ...rateLimitHeaders(outcome), 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
        socket.end(`HTTP/1.1 429 Too Many Requests\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
      },
      (err: unknown) => {
        logger.error({ err }, 'live: the rate limit check failed');
        socket.destroy();
      },
    );
  };
  options.server.on('upgrade', onUpgrade);

  /** The owner's channels for a field, with its failures said in words a client may see. */
  async function ownerRoute(field: string, viewerId: string): Promise<LiveRoute | readonly GraphQLError[]> {
    const asked = options.route(field, viewerId);
    if (!asked) return badRequest(`${field} is not a subscription this gateway can serve.`);
    try {
      return await asked;
    } catch (err) {
      logger.error({ err, field }, 'live subscription: its owner could not say what to listen on');
      const unavailable = err instanceof ServiceUnavailableError;
      return [new GraphQLError(unavailable ? 'Live updates are unavailable right now; try again.' : 'This subscription could not start.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
    }
  }

  const disposable = serveGraphQLWs<Extra>(
    {
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const viewer = await auth.connect(ctx.extra.socket, ctx.connectionParams);
        if (!viewer) return false;
        ctx.extra.viewer = viewer;
        // Nothing reads them after this, and they hold the access token: not kept for the socket's
        // life (about a kilobyte per idle socket, and no live tokens in a heap dump).
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        const outcome = await options.rateLimits.consume([{ bucket: 'wsConnect', key: `user:${viewer.userId}` }]);
        if (!outcome.allowed) {
          closeSocket(ctx.extra.socket, CLOSE.tooManyConnections, `Too many connections: retry in ${outcome.retryAfterSeconds} s`);
          return false;
        }
        return true;
      },
      onClose: (ctx) => auth.disconnect(ctx.extra.viewer),
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already registered this one, so it is among them.
        if (Object.keys(ctx.subscriptions).length > limits.subscriptionsPerConnection) {
          return [new GraphQLError(`At most ${limits.subscriptionsPerConnection} subscriptions per connection.`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const limited = await options.rateLimits.consume([{ bucket: 'user', key: `user:${(ctx.extra.viewer as SocketViewer).userId}` }]);
        if (!limited.allowed) return [rateLimitedError(limited, 'ws')];
        // Before anything is parsed: outside the manifest, nothing is learnt about the document.
        let query = payload.query;
        if (options.safelist) {
          const allowed = options.safelist.check({ query: payload.query, extensions: payload.extensions });
          if (allowed.error) return [allowed.error];
          if (allowed.document === null) return badRequest('Send the subscription\'s text or its persisted hash.');
          query = allowed.document;
        }
        const schema = options.schema();
        const { document, errors } = checkDocument(schema, query);
        if (!document || errors.length > 0) return errors;
        const badString = findBadInputString(document, payload.variables, options.inputStringLimits);
        if (badString) return [badInputStringError(badString)];
        const operation = getOperationAST(document, payload.operationName);
        if (!operation || operation.operation !== OperationTypeNode.SUBSCRIPTION) {
          return badRequest('Send queries and mutations over HTTP; this socket serves subscriptions.');
        }
        // The event is resolved by rewriting the root field, so it must be a field, not a fragment.
        const [root] = operation.selectionSet.selections;
        if (root?.kind !== Kind.FIELD) return badRequest('Select the subscription field itself at the root (no fragment there).');
        if (operation.variableDefinitions?.some((v) => v.variable.name.value === EVENT_ID_VARIABLE)) return badRequest(`$${EVENT_ID_VARIABLE} is reserved.`);
        const route = await ownerRoute(root.name.value, (ctx.extra.viewer as SocketViewer).userId);
        if (!('channels' in route)) return route;
        // The query each event will run must itself be valid, or every event would fail in silence.
        const hydration = hydrationQuery(document, operation, root, route.hydrateWith);
        const hydrationErrors = validateHydration(schema, hydration);
        if (hydrationErrors.length > 0) return hydrationErrors;
        const plan: SubscriptionPlan = { field: root.name.value, hydration: planHydration(hydration), channels: route.channels };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables ?? {}, contextValue: ctx, rootValue: plan };
      },
      subscribe: (args) => {
        const { extra } = args.contextValue as { extra: Extra };
        const plan = args.rootValue as SubscriptionPlan;
        const viewerId = extra.viewer.userId;
        return liveSubscription({
          socket: extra.socket,
          viewer: extra.viewer,
          hub,
          initialChannels: plan.channels,
          channels: async () => (await options.route(plan.field, viewerId))?.channels ?? plan.channels,
          plan: plan.hydration,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          hydrate: (hydration, eventId, variables, viewerId) => hydrator.hydrate(hydration, eventId, variables, viewerId),
          limits,
          logger,
        });
      },
    },
    wss,
    limits.keepAliveMs,
    logger,
  );

  return {
    wss,
    connections: () => wss.clients.size,
    /** How many hydration executions have run, by kind (tests assert sharing with it). */
    hydrations: () => ({ ...hydrator.counts }),
    async close() {
      options.server.off('upgrade', onUpgrade);
      await disposable.dispose();
    },
  };
}
