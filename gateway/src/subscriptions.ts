import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getOperationAST,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessTokenVerifier } from '@shutter/auth';
import { celebritiesKey, liveChannel, type LiveTopic } from '@shutter/events';
import type { Logger } from '@shutter/service';
import { bearerToken } from './context.ts';
import type { LiveHub } from './live-hub.ts';

/** Each subscription field: the viewer's topics it listens on, and the query field that hydrates an event id. */
const FIELDS = {
  notificationAdded: { topic: 'notifications', hydrateWith: 'notification' },
  feedPostAdded: { topic: 'feed', hydrateWith: 'post' },
} as const satisfies Record<string, { topic: LiveTopic; hydrateWith: string }>;
type SubscriptionField = keyof typeof FIELDS;

export interface SubscriptionLimits {
  subscriptionsPerConnection: number;
  connectionsPerUser: number;
  /** Server pings this often; a socket that misses a pong is closed (keeps proxies from idling it out too). */
  keepAliveMs: number;
  /** Events waiting for a socket; past this the client is too slow and is closed (memory stays bounded). */
  maxPendingEvents: number;
  /** Bytes the socket may have unsent before the client counts as too slow. */
  maxBufferedBytes: number;
}

export interface SubscriptionServerOptions {
  server: Server;
  path: string;
  schema: () => GraphQLSchema;
  validationRules: ValidationRule[];
  verifier: AccessTokenVerifier;
  hub: LiveHub;
  prefix: string;
  /** Ids of the celebrities the viewer follows, among the given ones. */
  followedAmong(viewerId: string, userIds: string[]): Promise<Set<string>>;
  redis: { smembers(key: string): Promise<string[]> };
  /** Runs a query through the gateway as the viewer (the supergraph resolves it). */
  hydrate(query: string, variables: Record<string, unknown>, viewerId: string): Promise<ExecutionResult>;
  limits: SubscriptionLimits;
  logger: Logger;
}

const HYDRATION_TIMEOUT_MS = 10_000;

/** Close codes beside graphql-ws's own (4400 bad request, 4403 forbidden, 4429 too many). */
export const CLOSE = {
  unauthorized: 4401,
  tokenExpired: CloseCode.Forbidden,
  tooManyConnections: CloseCode.TooManyInitialisationRequests,
  slowConsumer: 1013,
} as const;

interface Viewer {
  userId: string;
  expiry: NodeJS.Timeout;
  /** Hydrations of this socket's events run one after another, so it receives them in order. */
  chain: Promise<unknown>;
}
interface Extra extends Record<PropertyKey, unknown> {
  viewer: Viewer;
}

/** The token from connectionParams: `{ authorization: "Bearer <t>" }` or `{ accessToken: "<t>" }`. */
function tokenFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === 'string') return bearerToken(authorization);
  return typeof params?.accessToken === 'string' ? params.accessToken : null;
}

/**
 * Turns `subscription { alias: notificationAdded { ...selection } }` into the query that resolves one
 * event for it: `query($__eventId: ID!, ...its variables) { alias: notification(id: $__eventId) { ...selection } }`,
 * with the operation's fragments, so the client gets exactly its selection, from every subgraph.
 */
function hydrationQuery(document: DocumentNode, operation: OperationDefinitionNode, field: FieldNode, hydrateWith: string): string {
  const query: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    name: { kind: Kind.NAME, value: 'SubscriptionEvent' },
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__eventId' } },
        type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
      },
      ...(operation.variableDefinitions ?? []),
    ],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        {
          ...field,
          alias: { kind: Kind.NAME, value: field.alias?.value ?? field.name.value },
          name: { kind: Kind.NAME, value: hydrateWith },
          arguments: [
            {
              kind: Kind.ARGUMENT,
              name: { kind: Kind.NAME, value: 'id' },
              value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__eventId' } },
            },
          ],
        },
      ],
    },
  };
  // Only the fragments the field reaches: others (used by another operation of the document)
  // would fail NoUnusedFragments on every event.
  const byName = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const reached = new Set<string>();
  visit(field, {
    FragmentSpread(spread) {
      const pending = [spread.name.value];
      while (pending.length > 0) {
        const name = pending.pop()!;
        const fragment = byName.get(name);
        if (reached.has(name) || !fragment) continue;
        reached.add(name);
        visit(fragment, { FragmentSpread: (inner) => void pending.push(inner.name.value) });
      }
    },
  });
  return print({ kind: Kind.DOCUMENT, definitions: [query, ...[...reached].map((name) => byName.get(name)!)] });
}

/** An async queue of event ids, bounded: overflowing it means the client cannot keep up. */
function eventQueue(max: number, onOverflow: () => void) {
  const items: string[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  return {
    push(id: string) {
      if (done) return;
      if (items.length >= max) {
        done = true;
        onOverflow();
      } else items.push(id);
      wake?.();
    },
    async next(): Promise<string | null> {
      while (items.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      return done ? null : (items.shift() ?? null);
    },
    end() {
      done = true;
      wake?.();
    },
  };
}

/**
 * graphql-ws on the gateway's HTTP server, at the same path as HTTP GraphQL. Apollo Gateway
 * executes no subscriptions, so each subscription listens on the viewer's Redis channels, and each
 * event (an id) is resolved for the client's selection set by a query through the gateway itself.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions) {
  const { limits, logger, hub } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const connectionsByUser = new Map<string, number>();
  const checkedHydrations = new Map<string, readonly GraphQLError[]>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (path !== options.path) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  options.server.on('upgrade', onUpgrade);

  const closeSocket = (socket: WebSocket, code: number, reason: string) => {
    if (socket.readyState === socket.OPEN) socket.close(code, reason);
  };

  const disposable = useServer<Record<string, unknown>, Extra>(
    {
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const token = tokenFrom(ctx.connectionParams);
        const claims = token ? await options.verifier.verify(token) : null;
        // Gone while the token was checked: onClose has run already, so count nothing.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        if (!claims) {
          closeSocket(ctx.extra.socket, CLOSE.unauthorized, 'Unauthorized: a valid access token is required in connectionParams');
          return false;
        }
        const count = connectionsByUser.get(claims.userId) ?? 0;
        if (count >= limits.connectionsPerUser) {
          closeSocket(ctx.extra.socket, CLOSE.tooManyConnections, 'Too many connections for this user');
          return false;
        }
        connectionsByUser.set(claims.userId, count + 1);
        // The socket lives only as long as its token: the client reconnects with a fresh one.
        const expiry = setTimeout(
          () => closeSocket(ctx.extra.socket, CLOSE.tokenExpired, 'Forbidden: access token expired'),
          Math.max(0, claims.expiresAt.getTime() - Date.now()),
        );
        ctx.extra.viewer = { userId: claims.userId, expiry, chain: Promise.resolve() };
        return true;
      },
      onClose: (ctx) => {
        const viewer = ctx.extra.viewer;
        if (!viewer) return;
        clearTimeout(viewer.expiry);
        const count = (connectionsByUser.get(viewer.userId) ?? 1) - 1;
        if (count <= 0) connectionsByUser.delete(viewer.userId);
        else connectionsByUser.set(viewer.userId, count);
      },
      onSubscribe: (ctx, _id, payload) => {
        // graphql-ws has already registered this one, so it is among them.
        const active = Object.keys(ctx.subscriptions).length;
        if (active > limits.subscriptionsPerConnection) {
          return [new GraphQLError(`At most ${limits.subscriptionsPerConnection} subscriptions per connection.`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const schema = options.schema();
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (e) {
          return [e instanceof GraphQLError ? e : new GraphQLError('The operation does not parse.')];
        }
        // The same limits as HTTP operations (depth, cost, aliases, tokens), then the spec's rules.
        const errors = validate(schema, document, [...specifiedRules, ...options.validationRules]);
        if (errors.length > 0) return errors;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation || operation.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [new GraphQLError('Send queries and mutations over HTTP; this socket serves subscriptions.', { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        // The event is resolved by rewriting the root field, so it must be a field, not a fragment.
        const [root] = operation.selectionSet.selections;
        if (root?.kind !== Kind.FIELD || !(root.name.value in FIELDS)) {
          return [new GraphQLError('Select the subscription field itself at the root (no fragment there).', { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        if (operation.variableDefinitions?.some((v) => v.variable.name.value === '__eventId')) {
          return [new GraphQLError('$__eventId is reserved.', { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        // The query each event will run must itself be valid, or every event would fail in silence.
        // Checked once per distinct query (clients send the same few), as Apollo caches documents.
        const hydration = hydrationQuery(document, operation, root, FIELDS[root.name.value as SubscriptionField].hydrateWith);
        let hydrationErrors = checkedHydrations.get(hydration);
        if (!hydrationErrors) {
          hydrationErrors = validate(schema, parse(hydration), [...specifiedRules, ...options.validationRules]);
          if (checkedHydrations.size >= 1000) checkedHydrations.clear();
          checkedHydrations.set(hydration, hydrationErrors);
        }
        if (hydrationErrors.length > 0) return hydrationErrors;
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables ?? {}, contextValue: ctx, rootValue: { hydration } };
      },
      subscribe: (args) => {
        const ctx = args.contextValue as { extra: Extra & { socket: WebSocket } };
        const viewer = ctx.extra.viewer;
        const operation = getOperationAST(args.document, args.operationName)!;
        // A subscription has exactly one root field (validation enforces it); onSubscribe built its query.
        const field = operation.selectionSet.selections[0] as FieldNode;
        const spec = FIELDS[field.name.value as SubscriptionField];
        const query = (args.rootValue as { hydration: string }).hydration;
        const variables = (args.variableValues ?? {}) as Record<string, unknown>;
        const socket = ctx.extra.socket;
        const queue = eventQueue(limits.maxPendingEvents, () => closeSocket(socket, CLOSE.slowConsumer, 'Slow consumer: reconnect'));
        const events = liveEvents(queue, socket, viewer, spec.topic, query, variables);
        // An async generator waiting for the next event would take a return() (the client's
        // "complete", or the socket closing) only when an event comes; ending the queue first lets
        // it finish now and release its Redis channels.
        const stop = async (): Promise<IteratorResult<ExecutionResult>> => {
          queue.end();
          return events.return(undefined);
        };
        // Iterator and iterable at once: graphql-ws calls return() on what subscribe returned.
        const iterator: AsyncIterableIterator<ExecutionResult> = {
          next: () => events.next(),
          return: stop,
          throw: stop,
          [Symbol.asyncIterator]: () => iterator,
        };
        return iterator;
      },
    },
    wss,
    limits.keepAliveMs,
  );

  async function* liveEvents(
    queue: ReturnType<typeof eventQueue>,
    socket: WebSocket,
    viewer: Viewer,
    topic: LiveTopic,
    query: string,
    variables: Record<string, unknown>,
  ): AsyncGenerator<ExecutionResult> {
    const channels = [liveChannel(options.prefix, topic, viewer.userId)];
    let stop: () => Promise<void>;
    try {
      if (topic === 'feed') {
        // A celebrity's posts are not fanned out: listen on the channels of those the viewer follows.
        const celebrities = await options.redis.smembers(celebritiesKey(options.prefix));
        if (celebrities.length > 0) {
          for (const id of await options.followedAmong(viewer.userId, celebrities)) channels.push(liveChannel(options.prefix, 'celebrity', id));
        }
      }
      stop = await hub.listen(channels, (message) => {
        try {
          const { id } = JSON.parse(message) as { id?: unknown };
          if (typeof id === 'string') queue.push(id);
        } catch {
          logger.warn({ message }, 'live event is not JSON; skipped');
        }
      });
    } catch (err) {
      // graphql-ws sends a thrown error's message as it is: say nothing internal.
      logger.error({ err, topic }, 'live subscription could not start');
      throw new GraphQLError('Live updates are unavailable right now; try again.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
    try {
      for (let id = await queue.next(); id !== null; id = await queue.next()) {
        if (socket.bufferedAmount > limits.maxBufferedBytes) {
          closeSocket(socket, CLOSE.slowConsumer, 'Slow consumer: reconnect');
          return;
        }
        const eventId = id;
        // A deadline, so a stuck subgraph costs this event, not the socket's whole queue.
        const hydrated = viewer.chain.then(() =>
          Promise.race([
            options.hydrate(query, { ...variables, __eventId: eventId }, viewer.userId),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error('hydration timed out')), HYDRATION_TIMEOUT_MS).unref()),
          ]),
        );
        viewer.chain = hydrated.catch(() => undefined);
        let result: ExecutionResult;
        try {
          result = await hydrated;
        } catch (err) {
          logger.error({ err, eventId }, 'live event: hydration failed; skipped');
          continue;
        }
        const data = result.data as Record<string, unknown> | null | undefined;
        // Gone by now (a deleted post, a notification not the viewer's): nothing to send.
        if (!data || Object.values(data).some((v) => v === null)) {
          if (result.errors?.length) logger.warn({ errors: result.errors, eventId }, 'live event: hydration errors');
          continue;
        }
        yield result;
      }
    } finally {
      queue.end();
      await stop();
    }
  }

  return {
    wss,
    connections: () => wss.clients.size,
    async close() {
      options.server.off('upgrade', onUpgrade);
      // Closes every socket with 1001 (going away): clients reconnect, to another gateway if there is one.
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
