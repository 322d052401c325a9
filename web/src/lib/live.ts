/**
 * The graphql-ws socket (subscriptions), with the session's token given lazily on every connect.
 * The gateway closes a socket with 4403 when its token expires: the client reconnects at once,
 * with a fresh token (connectionParams asks the session, which refreshes a token that is due).
 * 4401 means the token was not accepted at all; graphql-ws ends the subscriptions with it, and the
 * subscription link (apollo.ts) refreshes the session once and subscribes again.
 */
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import type { SessionManager } from './session.ts';

/** Close codes of the gateway (gateway/src/live/auth.ts). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_TOKEN_EXPIRED = 4403;
/** The rate limit: too many connections for this user (graphql-ws gives up on it; apollo.ts waits). */
export const CLOSE_TOO_MANY = 4429;
/** graphql-ws's idiom for "reconnect now" (a code it retries). */
const CLOSE_RESTART = 4205;

export type LiveStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface LiveConnection {
  client: Client;
  getStatus(): LiveStatus;
  subscribeStatus(listener: () => void): () => void;
  /** Called after the socket came back (from a drop, or a 4403): events of the gap were missed. */
  onReconnected(listener: () => void): () => void;
  /** Drops the socket (a new session, or a log-out); subscriptions still open connect again. */
  restart(): void;
  dispose(): void;
}

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' && value !== null && 'code' in value && typeof (value as { code: unknown }).code === 'number';

export function createLiveConnection(
  session: Pick<SessionManager, 'getAccessToken' | 'handleUnauthenticated'>,
  options: { url: string; webSocketImpl?: ClientOptions['webSocketImpl']; retryDelayMs?: (attempt: number) => number },
): LiveConnection {
  let status: LiveStatus = 'idle';
  let lastClose: number | null = null;
  let everConnected = false;
  let socket: WebSocket | null = null;
  const statusListeners = new Set<() => void>();
  const reconnectListeners = new Set<() => void>();
  const setStatus = (next: LiveStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of statusListeners) listener();
  };
  // Backoff with jitter for drops; none after 4403 (its cure, a fresh token, is at hand) or a
  // restart of our own.
  const delay = options.retryDelayMs ?? ((attempt: number) => Math.min(15_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2));

  const client = createClient({
    url: options.url,
    lazy: true,
    // A socket idle for a moment after its last subscription ends is closed; a route change that
    // ends one subscription and starts another keeps it.
    lazyCloseTimeout: 3_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    shouldRetry: () => true,
    retryWait: async (attempt) => {
      const wait = lastClose === CLOSE_TOKEN_EXPIRED || lastClose === CLOSE_RESTART ? 0 : delay(attempt);
      await new Promise((resolve) => setTimeout(resolve, wait));
    },
    connectionParams: async () => {
      const token = await session.getAccessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connecting: () => setStatus(everConnected ? 'reconnecting' : 'connecting'),
      opened: (ws) => {
        socket = ws as WebSocket;
      },
      connected: () => {
        const wasReconnect = everConnected;
        everConnected = true;
        lastClose = null;
        setStatus('connected');
        // Even a replacement on schedule (4403) leaves a moment with no socket: an event published
        // then reached nobody, so the app asks again for what the events would have told it.
        if (wasReconnect) for (const listener of reconnectListeners) listener();
      },
      closed: (event) => {
        socket = null;
        lastClose = isCloseEvent(event) ? event.code : null;
        // A close with no subscription left (lazy) is not a drop.
        setStatus(lastClose === 1000 ? 'idle' : 'reconnecting');
      },
    },
  });

  return {
    client,
    getStatus: () => status,
    subscribeStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    onReconnected(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    restart() {
      if (socket && socket.readyState === WebSocket.OPEN) socket.close(CLOSE_RESTART, 'Client Restart');
    },
    dispose() {
      void client.dispose();
    },
  };
}
