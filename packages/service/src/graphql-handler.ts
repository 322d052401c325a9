import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { graphqlErrorResponse, type HttpRequest, type HttpResponse } from './http-server.ts';

/**
 * Runs one HTTP request through Apollo Server. This is the whole of an Apollo "integration": we
 * keep it here instead of pulling in Express, so the gateway and every subgraph share one small,
 * dependency-free HTTP layer.
 */
export async function executeGraphQL<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  request: HttpRequest,
  context: () => Promise<TContext>,
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
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method, headers, search: request.url.search, body },
    context,
  });
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of result.headers) responseHeaders[name] = value;
  return {
    status: result.status ?? 200,
    headers: responseHeaders,
    body: result.body.kind === 'complete' ? result.body.string : result.body.asyncIterator,
  };
}
