import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, type FetchResult } from '@apollo/client';
import { getMainDefinition } from '@apollo/client/utilities';
import { OperationTypeNode, type FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { Observable } from 'rxjs';
import { persistedExtension, persistedText } from '../../shared/persisted.ts';
import { CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED } from './live.ts';
import type { SessionManager } from './session.ts';
import { typePolicies } from './type-policies.ts';

type Session = Pick<SessionManager, 'getAccessToken' | 'handleUnauthenticated'>;

const isUnauthenticated = (result: FetchResult) => !!result.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED');

/**
 * Each operation as the persisted-documents manifest has it: its hash in
 * extensions.persistedQuery, and (by the printers below) the manifest's exact text.
 */
export const persistedDocumentLink = new ApolloLink((operation, forward) => {
  Object.assign(operation.extensions, persistedExtension(operation.query));
  return forward(operation);
});

/**
 * The bearer token on every HTTP operation, and one retry with a fresh token when the gateway
 * says the token was the problem: an UNAUTHENTICATED error, or a `WWW-Authenticate:
 * Bearer error="invalid_token"` header (an expired token makes a request anonymous, which can
 * answer without an error but with the viewer's fields wrong).
 */
export function authLink(session: Session): ApolloLink {
  return new ApolloLink(
    (operation, forward) =>
      new Observable<FetchResult>((observer) => {
        let active: { unsubscribe(): void } | null = null;
        let closed = false;
        const send = (token: string | null, retried: boolean) => {
          operation.setContext(({ headers = {} }: { headers?: Record<string, string> }) => ({
            headers: { ...headers, authorization: token ? `Bearer ${token}` : '' },
          }));
          let result: FetchResult | null = null;
          active = forward(operation).subscribe({
            next: (value) => {
              result = value;
            },
            error: (error: unknown) => observer.error(error),
            complete: () => {
              if (closed) return;
              const response = (operation.getContext() as { response?: Response }).response;
              const tokenRefused = !!token && !!response?.headers.get('www-authenticate')?.includes('invalid_token');
              if (!retried && result && (isUnauthenticated(result) || tokenRefused)) {
                void session.handleUnauthenticated(token).then((fresh) => {
                  if (closed) return;
                  if (fresh) send(fresh, true);
                  else {
                    observer.next(result!);
                    observer.complete();
                  }
                });
                return;
              }
              if (result) observer.next(result);
              observer.complete();
            },
          });
        };
        session.getAccessToken().then(
          (token) => !closed && send(token, false),
          (error: unknown) => observer.error(error),
        );
        return () => {
          closed = true;
          active?.unsubscribe();
        };
      }),
  );
}

/**
 * How long the gateway's rate limit asks a refused subscription to wait, in ms, or null when the
 * refusal is not one to wait out: a socket closed 4429 (too many connections; "retry in N s" in its
 * reason) or a subscribe answered RATE_LIMITED with extensions.retryAfter (seconds).
 */
export function rateLimitWaitMs(error: unknown): number | null {
  const clamp = (seconds: number) => Math.min(300, Math.max(1, seconds)) * 1000;
  if (Array.isArray(error)) {
    const limited = (error as { extensions?: { code?: unknown; retryAfter?: unknown } }[]).find((e) => e.extensions?.code === 'RATE_LIMITED');
    const seconds = limited?.extensions?.retryAfter;
    // RATE_LIMITED without a time (too many subscriptions on one socket) is not cured by waiting.
    return typeof seconds === 'number' ? clamp(seconds) : null;
  }
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === CLOSE_TOO_MANY) {
    const seconds = /retry in (\d+) ?s/i.exec(String((error as { reason?: unknown }).reason ?? ''))?.[1];
    return clamp(seconds ? Number(seconds) : 30);
  }
  return null;
}

/**
 * Subscriptions over graphql-ws, sent with the manifest's text and hash. A socket refused with
 * 4401 ends its subscriptions; each is started again once after a refresh of the session. One the
 * rate limit refuses is started again when the limit says (the socket shows "reconnecting" meanwhile
 * when it was the socket that was refused).
 */
export function subscriptionLink(ws: Client, session: Session, options: { waitScale?: number } = {}): ApolloLink {
  // Tests shrink the waits; the gateway's are seconds.
  const scale = options.waitScale ?? 1;
  return new ApolloLink(
    (operation) =>
      new Observable<FetchResult>((observer) => {
        let dispose: (() => void) | null = null;
        let closed = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const start = (retried: boolean) => {
          dispose = ws.subscribe<FormattedExecutionResult['data']>(
            {
              query: persistedText(operation.query),
              variables: operation.variables,
              ...(operation.operationName ? { operationName: operation.operationName } : {}),
              extensions: operation.extensions,
            },
            {
              next: (value) => observer.next(value as FetchResult),
              complete: () => observer.complete(),
              error: (error: unknown) => {
                const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : null;
                if (code === CLOSE_UNAUTHORIZED && !retried) {
                  void session.handleUnauthenticated(null).then((fresh) => {
                    if (closed) return;
                    if (fresh) start(true);
                    else observer.error(new Error('Your session has ended; log in again.'));
                  });
                  return;
                }
                const wait = rateLimitWaitMs(error);
                if (wait !== null) {
                  timer = setTimeout(() => !closed && start(retried), wait * scale);
                  return;
                }
                if (error instanceof Error) observer.error(error);
                else if (Array.isArray(error)) observer.error(new CombinedGraphQLErrors({ errors: error }));
                else observer.error(new Error(code ? `The live connection closed (${String(code)}).` : 'The live connection failed.'));
              },
            },
          );
        };
        start(false);
        return () => {
          closed = true;
          clearTimeout(timer);
          dispose?.();
        };
      }),
  );
}

export function createApolloClient(options: { session: Session; ws: Client; uri?: string; fetch?: typeof fetch; link?: ApolloLink }) {
  const http = new HttpLink({
    uri: options.uri ?? '/graphql',
    includeExtensions: true,
    // The manifest's text, byte for byte (sorted selections, normalised spaces), not print()'s.
    print: (node) => persistedText(node as Parameters<typeof persistedText>[0]),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const isSubscription = ({ query }: ApolloLink.Operation) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === OperationTypeNode.SUBSCRIPTION;
  };
  const transport =
    options.link ?? ApolloLink.split(isSubscription, subscriptionLink(options.ws, options.session), ApolloLink.from([authLink(options.session), http]));
  return new ApolloClient({
    link: ApolloLink.from([persistedDocumentLink, transport]),
    cache: new InMemoryCache({ typePolicies }),
    defaultOptions: {
      // Show what the cache has, and check with the server: a feed is never a day old.
      watchQuery: { fetchPolicy: 'cache-and-network', nextFetchPolicy: 'cache-first' },
    },
  });
}
