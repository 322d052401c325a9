/** Per request at the gateway: who is asking (verified from the access token) and the request id. */
export interface GatewayContext {
  viewerId: string | null;
  requestId: string;
  /** The client's address key for per-IP rate limits (see client-address.ts); null for the gateway's own operations. */
  clientAddress: string | null;
  /**
   * The gateway's own operations (resolving a subscription event for a client who subscribed):
   * they were checked when the client subscribed, so neither rate limits nor the safelist apply.
   */
  internal?: boolean;
}

/** The token of an `Authorization: Bearer <token>` value (HTTP header or graphql-ws connectionParams). */
export function bearerToken(authorization: unknown): string | null {
  return typeof authorization === 'string' ? (authorization.match(/^Bearer\s+(.+)$/i)?.[1] ?? null) : null;
}
