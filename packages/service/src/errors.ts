import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';
import { ServiceUnavailableError } from '@shutter/contracts';
import { isDatabaseUnavailable } from '@shutter/db/errors';

/** The error codes of the public contract. Messages are for people; codes are for programs. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badUserInput = (message: string, field?: string) =>
  appError('BAD_USER_INPUT', message, field ? { field } : {});
export const unauthenticated = (message = 'You must be signed in.') => appError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do that.') => appError('FORBIDDEN', message);
export const notFound = (message: string) => appError('NOT_FOUND', message);
export const conflict = (message: string, field?: string) => appError('CONFLICT', message, field ? { field } : {});

/**
 * A part of the product is down, so this field has no answer now; the rest of the response is
 * what the parts that are up gave. `service` names the part: a subgraph (`social-graph`), or,
 * with `dependency`, what behind that subgraph failed (`{ service: 'media', dependency: 'postgres' }`).
 * Retrying later is the remedy (README, "Errors").
 */
export const serviceUnavailable = (service: string, dependency?: string) =>
  appError('SERVICE_UNAVAILABLE', `${dependency ? `${service}'s ${dependency}` : service} is unavailable right now; try again shortly.`, {
    service,
    ...(dependency ? { dependency } : {}),
  });

/** The SERVICE_UNAVAILABLE error an unexpected error stands for, or null when it is a real bug. */
export function unavailabilityOf(error: unknown, service: string | undefined): GraphQLError | null {
  if (error instanceof ServiceUnavailableError) return serviceUnavailable(error.service);
  if (service && isDatabaseUnavailable(error)) return serviceUnavailable(service, 'postgres');
  return null;
}

/** Codes that may leave a server as they are: the contract's, and the ones GraphQL servers add. */
const PUBLIC_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo Server refuses some malformed requests with a GraphQLError that has an HTTP status of
 * 4xx but no code: an APQ hash that does not match its query text ("provided sha does not match
 * query"), an unsupported persistedQuery version, a persistedQuery that is not an object. They are
 * the client's mistake, so they keep their message and get Apollo's own code for a bad request
 * instead of being masked as INTERNAL_SERVER_ERROR (which is what made an APQ request with an
 * unknown hash and a query text look like a server fault).
 */
function isCodelessClientError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (!(original instanceof GraphQLError) || original.extensions.code !== undefined) return false;
  const status = (original.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Apollo's formatError: known errors pass with their code; an unreachable service or database is
 * SERVICE_UNAVAILABLE naming it (`service`, this server's name, says whose database); anything else
 * is logged with its stack and replaced by a plain INTERNAL_SERVER_ERROR, so no stack trace or SQL
 * leaves a server.
 */
export function createErrorFormatter(logger: Logger, options: { service?: string } = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (isCodelessClientError(error)) {
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    const cause = unwrapResolverError(error);
    const unavailable = unavailabilityOf(cause, options.service);
    if (unavailable) {
      logger.warn({ err: cause, path: formatted.path }, 'a dependency is unavailable');
      return {
        message: unavailable.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: unavailable.extensions,
      };
    }
    logger.error({ err: cause, path: formatted.path }, 'unexpected error in a resolver');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

/** The signed-in user a field needs; UNAUTHENTICATED without one. */
export function requireViewer(viewerId: string | null | undefined): string {
  if (!viewerId) throw unauthenticated();
  return viewerId;
}
