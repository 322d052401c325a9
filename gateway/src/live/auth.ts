import type { AccessTokenVerifier } from '@shutter/auth';
import { CloseCode } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { bearerToken } from '../context.ts';

/** Close codes beside graphql-ws's own (4400 bad request, 4403 forbidden, 4429 too many). */
export const CLOSE = {
  unauthorized: 4401,
  tokenExpired: CloseCode.Forbidden,
  tooManyConnections: CloseCode.TooManyInitialisationRequests,
  slowConsumer: 1013,
} as const;

export const closeSocket = (socket: WebSocket, code: number, reason: string) => {
  if (socket.readyState === socket.OPEN) socket.close(code, reason);
};

/** The signed-in user of one socket. */
export interface SocketViewer {
  userId: string;
  expiry: NodeJS.Timeout;
  /** Hydrations of this socket's events run one after another, so it receives them in order. */
  chain: Promise<unknown>;
}

/**
 * Closes the socket (4403) when its token expires. Made here, not as an arrow in connect(): that
 * arrow would keep connect()'s scope (the token, its claims, the params) alive until it fires.
 */
function closeWhenExpired(socket: WebSocket, expiresAt: Date): NodeJS.Timeout {
  return setTimeout(() => closeSocket(socket, CLOSE.tokenExpired, 'Forbidden: access token expired'), Math.max(0, expiresAt.getTime() - Date.now()));
}

/** The token from connectionParams: `{ authorization: "Bearer <t>" }` or `{ accessToken: "<t>" }`. */
function tokenFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === 'string') return bearerToken(authorization);
  return typeof params?.accessToken === 'string' ? params.accessToken : null;
}

/**
 * Who may hold a socket: a valid access token in connectionParams, at most `connectionsPerUser`
 * sockets per user on this process, and the socket closes (4403) when its token expires, so the
 * client reconnects with a fresh one.
 */
export function socketAuthenticator(verifier: AccessTokenVerifier, connectionsPerUser: number) {
  const connectionsByUser = new Map<string, number>();
  return {
    async connect(socket: WebSocket, params: Readonly<Record<string, unknown>> | undefined): Promise<SocketViewer | null> {
      const token = tokenFrom(params);
      const claims = token ? await verifier.verify(token) : null;
      // Gone while the token was checked: the close handler has run already, so count nothing.
      if (socket.readyState !== socket.OPEN) return null;
      if (!claims) {
        closeSocket(socket, CLOSE.unauthorized, 'Unauthorized: a valid access token is required in connectionParams');
        return null;
      }
      const count = connectionsByUser.get(claims.userId) ?? 0;
      if (count >= connectionsPerUser) {
        closeSocket(socket, CLOSE.tooManyConnections, 'Too many connections for this user');
        return null;
      }
      connectionsByUser.set(claims.userId, count + 1);
      return { userId: claims.userId, expiry: closeWhenExpired(socket, claims.expiresAt), chain: Promise.resolve() };
    },
    disconnect(viewer: SocketViewer | undefined) {
      if (!viewer) return;
      clearTimeout(viewer.expiry);
      const count = (connectionsByUser.get(viewer.userId) ?? 1) - 1;
      if (count <= 0) connectionsByUser.delete(viewer.userId);
      else connectionsByUser.set(viewer.userId, count);
    },
  };
}
