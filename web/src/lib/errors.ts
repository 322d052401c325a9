import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client';

/** A GraphQL error as it reaches the client: a message for people, a code (and a field) for us. */
export interface ApiError {
  message: string;
  extensions?: { code?: unknown; field?: unknown; [key: string]: unknown } | undefined;
}

const OFFLINE = 'Shutter can’t be reached. Check your connection and try again.';

/** The GraphQL errors inside whatever failed (none for a network failure). */
export function apiErrors(error: unknown): readonly ApiError[] {
  if (CombinedGraphQLErrors.is(error)) return error.errors;
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: ApiError[] };
      return Array.isArray(body.errors) ? body.errors : [];
    } catch {
      return [];
    }
  }
  return [];
}

/** One sentence for a person: what went wrong, never an empty string, never swallowed. */
export function describeError(error: unknown): string {
  const errors = apiErrors(error);
  if (errors.length > 0) return [...new Set(errors.map((e) => e.message))].join(' ');
  if (ServerError.is(error)) return `The server answered ${error.statusCode}; try again in a moment.`;
  if (ServerParseError.is(error)) return 'The server gave an answer that could not be read; try again.';
  if (error instanceof TypeError) return OFFLINE;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong; try again.';
}

export const errorCode = (error: unknown): string | null => {
  const code = apiErrors(error)[0]?.extensions?.code;
  return typeof code === 'string' ? code : null;
};

/**
 * Errors split by the form field they belong to (extensions.field), the rest general. `fallback`
 * names the field for errors that name none but are about one (a wrong password).
 */
export function splitFieldErrors<F extends string>(
  errors: readonly ApiError[],
  fields: readonly F[],
  fallback?: (error: ApiError) => F | null,
): { fields: Partial<Record<F, string>>; general: string[] } {
  const byField: Partial<Record<F, string>> = {};
  const general: string[] = [];
  for (const error of errors) {
    const named = error.extensions?.field;
    const field = typeof named === 'string' && (fields as readonly string[]).includes(named) ? (named as F) : (fallback?.(error) ?? null);
    if (field) byField[field] = byField[field] ? `${byField[field]} ${error.message}` : error.message;
    else general.push(error.message);
  }
  return { fields: byField, general };
}
