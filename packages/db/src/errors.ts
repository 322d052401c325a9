/**
 * Classifying database errors without importing the driver: a dependency-free module (the
 * `@shutter/db/errors` entry), so that code which never opens a database, the gateway's error
 * formatting, does not load one.
 */

/** postgres.js's own codes for a connection that is gone or could not be made. */
const DRIVER_CONNECTION_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
/** The socket's codes for a server that is not there (down, restarting, unreachable). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * True when `e` says the database is unavailable rather than that the query is wrong: the
 * connection closed or could not be made, or the server is shutting down, starting up or out of
 * connections (SQLSTATE class 08, 57P01-57P03, 53300). Worth a retry, and a SERVICE_UNAVAILABLE
 * answer rather than an internal error.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let current = e, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    // By name, not instanceof: this module imports no driver, so the gateway can use it too.
    if ((current as { name?: unknown }).name === 'PostgresError' && typeof code === 'string') {
      return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);
    }
    if (typeof code === 'string' && (DRIVER_CONNECTION_CODES.has(code) || SOCKET_CODES.has(code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
