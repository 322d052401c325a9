import { randomUUID } from 'node:crypto';
import { signRequest } from '@shutter/auth';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
  headers: Headers;
}

export interface GraphQLCall {
  query: string;
  variables?: Record<string, unknown>;
  token?: string | null;
  headers?: Record<string, string>;
}

/** One GraphQL request over real HTTP, as a client sends it. */
export async function graphql<TData = Record<string, any>>(url: string, call: GraphQLCall): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
      ...call.headers,
    },
    body: JSON.stringify({ query: call.query, variables: call.variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<TData>, 'status' | 'headers'>;
  return { ...body, status: response.status, headers: response.headers };
}

/** A request to a subgraph signed as the gateway signs it, for tests that call a subgraph directly. */
export async function signedGraphql<TData = Record<string, any>>(
  url: string,
  secret: string,
  call: Omit<GraphQLCall, 'token'> & { viewerId?: string | null },
): Promise<GraphQLResponse<TData>> {
  const body = JSON.stringify({ query: call.query, variables: call.variables });
  const headers = signRequest(secret, { viewerId: call.viewerId ?? null, requestId: randomUUID(), body });
  return graphql<TData>(url, { ...call, headers: { ...headers, ...call.headers } });
}
