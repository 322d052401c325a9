import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { graphqlErrorResponse, type HttpRequest, type HttpResponse } from './http-server.ts';

export interface ExecuteGraphQLOptions {
  /**
   * GraphQL over HTTP (the spec's application/json section): a well-formed request whose document
   * does not parse or validate, or whose variables are refused, SHOULD answer 200 when the response
   * is application/json, the legacy media type, whose clients read errors from the body whatever the
   * status. Apollo answers 400 for every media type; with this on, such an answer is 200 when it is
   * application/json and stays 400 when it is application/graphql-response+json (as the spec has it
   * there). Requests that are not well formed (no query, JSON that is not JSON) stay 400.
   */
  requestErrorsAs200ForJson?: boolean;
  /**
   * Sees what the request names (its `query` and `extensions`, from a POST body or GET parameters)
   * before Apollo parses anything; a refusal it returns is the answer. The gateway's safelist.
   */
  screen?: (request: { query: unknown; extensions: unknown }) => { status: number; error: GraphQLError } | null;
}

/** What a GET names: `query`, and `extensions` as JSON (unreadable JSON is left to Apollo to refuse). */
function namedByGet(search: URLSearchParams): { query: unknown; extensions: unknown } {
  let extensions: unknown;
  try {
    extensions = JSON.parse(search.get('extensions') ?? 'null');
  } catch {
    extensions = undefined;
  }
  return { query: search.get('query') ?? undefined, extensions };
}

/** The codes of a GraphQL request error in a well-formed request: the document or its variables. */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

function isRequestErrorBody(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] };
    return (
      !('data' in parsed) &&
      Array.isArray(parsed.errors) &&
      parsed.errors.length > 0 &&
      parsed.errors.every((e) => REQUEST_ERROR_CODES.has(e.extensions?.code as string))
    );
  } catch {
    return false;
  }
}

/**
 * Runs one HTTP request through Apollo Server. This is the whole of an Apollo "integration": we
 * keep it here instead of pulling in Express, so the gateway and every subgraph share one small,
 * dependency-free HTTP layer.
 */
export async function executeGraphQL<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  request: HttpRequest,
  context: () => Promise<TContext>,
  options: ExecuteGraphQLOptions = {},
): Promise<HttpResponse> {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = undefined;
  if (request.body.length > 0 && (headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(request.body);
    } catch {
      return graphqlErrorResponse(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
    }
  }
  if (options.screen && (request.method === 'GET' || request.method === 'POST')) {
    const named = request.method === 'GET' ? namedByGet(request.url.searchParams) : (body ?? {}) as { query?: unknown; extensions?: unknown };
    const refusal = options.screen({ query: named.query, extensions: named.extensions });
    if (refusal) return graphqlErrorResponse(refusal.status, String(refusal.error.extensions.code), refusal.error.message);
  }
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method, headers, search: request.url.search, body },
    context,
  });
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of result.headers) responseHeaders[name] = value;
  let status = result.status ?? 200;
  if (
    options.requestErrorsAs200ForJson &&
    status === 400 &&
    result.body.kind === 'complete' &&
    (responseHeaders['content-type'] ?? '').startsWith('application/json') &&
    isRequestErrorBody(result.body.string)
  ) {
    status = 200;
  }
  return {
    status,
    headers: responseHeaders,
    body: result.body.kind === 'complete' ? result.body.string : result.body.asyncIterator,
  };
}
