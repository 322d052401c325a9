/** Per request at the gateway: who is asking (verified from the access token) and the request id. */
export interface GatewayContext {
  viewerId: string | null;
  requestId: string;
}
