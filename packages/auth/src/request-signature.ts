import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The gateway-to-subgraph request signature. Subgraphs are never public: each one answers only
 * requests that carry a valid HMAC-SHA256 over the timestamp, the viewer, the request id and the
 * body, made with the secret that the gateway and the services share. The viewer header is thus
 * trusted only because it is signed; a subgraph reached directly grants nothing.
 */
export const SIGNATURE_HEADERS = {
  viewer: 'x-viewer-id',
  requestId: 'x-request-id',
  timestamp: 'x-shutter-timestamp',
  signature: 'x-shutter-signature',
} as const;

/** How far a request's timestamp may be from the receiver's clock. */
export const SIGNATURE_MAX_SKEW_MS = 60_000;

export interface SignedRequestParts {
  viewerId: string | null;
  requestId: string;
  body: string;
}

function mac(secret: string, timestamp: string, { viewerId, requestId, body }: SignedRequestParts): string {
  const bodyHash = createHash('sha256').update(body).digest('base64url');
  return createHmac('sha256', secret)
    .update(`v1\n${timestamp}\n${viewerId ?? ''}\n${requestId}\n${bodyHash}`)
    .digest('base64url');
}

/** The headers to add to an outgoing internal request. */
export function signRequest(secret: string, parts: SignedRequestParts, now = Date.now()): Record<string, string> {
  const timestamp = String(now);
  const headers: Record<string, string> = {
    [SIGNATURE_HEADERS.requestId]: parts.requestId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.signature]: mac(secret, timestamp, parts),
  };
  if (parts.viewerId) headers[SIGNATURE_HEADERS.viewer] = parts.viewerId;
  return headers;
}

export type SignatureCheck =
  | { ok: true; viewerId: string | null; requestId: string }
  | { ok: false; reason: string };

/** Checks an incoming request's signature; `header` reads one header by its lower-case name. */
export function verifyRequestSignature(
  secret: string,
  header: (name: string) => string | undefined,
  body: string,
  now = Date.now(),
): SignatureCheck {
  const timestamp = header(SIGNATURE_HEADERS.timestamp);
  const signature = header(SIGNATURE_HEADERS.signature);
  const requestId = header(SIGNATURE_HEADERS.requestId);
  if (!timestamp || !signature || !requestId) return { ok: false, reason: 'unsigned request' };
  const sentAt = Number(timestamp);
  if (!Number.isFinite(sentAt) || Math.abs(now - sentAt) > SIGNATURE_MAX_SKEW_MS) {
    return { ok: false, reason: 'stale or invalid signature timestamp' };
  }
  const viewerId = header(SIGNATURE_HEADERS.viewer) || null;
  const expected = Buffer.from(mac(secret, timestamp, { viewerId, requestId, body }));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad signature' };
  }
  return { ok: true, viewerId, requestId };
}
