import { CloseCode, makeServer, MessageType, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '@shutter/service';

/** The messages a client may send (graphql-transport-ws); the rest are the server's to send. */
const CLIENT_MESSAGES = new Set<string>([MessageType.ConnectionInit, MessageType.Ping, MessageType.Pong, MessageType.Subscribe, MessageType.Complete]);

/** The `type` of a message that is JSON with a string type; null for anything else (graphql-ws refuses those itself, with 4400). */
function messageType(data: string): string | null {
  try {
    const message = JSON.parse(data) as { type?: unknown } | null;
    return typeof message?.type === 'string' ? message.type : null;
  } catch {
    return null;
  }
}

/**
 * graphql-ws (its protocol, makeServer) on a `ws` server, as graphql-ws's own use/ws adapter does,
 * with two differences that a hostile client showed: a message of a type only a server sends
 * (connection_ack, next, error) is a bad request (4400), where the library threw and closed with
 * 4500 Internal Server Error; and what goes wrong is logged through our logger, not console.error.
 * A frame over maxPayload is closed by `ws` itself with 1009.
 */
export function serveGraphQLWs<E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<Record<string, unknown>, E & { socket: WebSocket }>,
  wss: WebSocketServer,
  keepAliveMs: number,
  logger: Logger,
) {
  const server = makeServer(options);
  wss.on('error', (err) => logger.error({ err }, 'live: the WebSocket server failed'));
  // Server pings; a socket that does not answer one before the next is gone (and proxies keep it
  // open meanwhile). One timer for every socket, not one each: thousands of idle sockets cost no
  // timers (a socket's first ping comes within one period of its opening).
  const awaitingPong = new WeakSet<WebSocket>();
  const keepAlive = setInterval(() => {
    for (const socket of wss.clients) {
      if (awaitingPong.has(socket)) socket.terminate();
      else {
        awaitingPong.add(socket);
        socket.ping();
      }
    }
  }, keepAliveMs);
  keepAlive.unref();
  const answered = function (this: WebSocket) {
    awaitingPong.delete(this);
  };
  wss.on('connection', (socket: WebSocket) => {
    socket.on('error', (err) => logger.debug({ err: { message: err.message } }, 'live: a socket failed (the client sent what it may not)'));
    socket.on('pong', answered);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (raw) => {
            const data = String(raw);
            const type = messageType(data);
            if (type !== null && !CLIENT_MESSAGES.has(type)) {
              socket.close(CloseCode.BadRequest, 'Invalid message received');
              return;
            }
            try {
              await handle(data);
            } catch (err) {
              logger.error({ err }, 'live: a message could not be handled');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      // Not the upgrade request: nothing reads it later, and each socket would hold its headers.
      { socket } as E & { socket: WebSocket },
    );
    socket.once('close', (code, reason) => void closed(code, String(reason)));
  });
  return {
    /** Closes every socket with 1001 (going away): clients reconnect, to another gateway if there is one. */
    async dispose() {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
