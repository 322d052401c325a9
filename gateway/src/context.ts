/** Per request at the gateway: who is asking (verified from the access token) and the request id. */
export interface GatewayContext {
  viewerId: string | null;
  requestId: string;
}

/** The token of an `Authorization: Bearer <token>` value (HTTP header or graphql-ws connectionParams). */
export function bearerToken(authorization: unknown): string | null {
  return typeof authorization === 'string' ? (authorization.match(/^Bearer\s+(.+)$/i)?.[1] ?? null) : null;
}
