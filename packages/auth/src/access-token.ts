import { SignJWT, jwtVerify, importPKCS8, importSPKI, errors } from 'jose';

/**
 * Access tokens: short-lived JWTs signed with EdDSA (Ed25519). The users subgraph holds the private
 * key and issues them; the gateway holds only the public key and verifies them.
 */
const ALG = 'EdDSA';
const ISSUER = 'shutter';
const AUDIENCE = 'shutter-api';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessTokenIssuer {
  issue(claims: AccessTokenClaims): Promise<IssuedAccessToken>;
}

export interface AccessTokenVerifier {
  /** Returns the claims, or null for a token that is malformed, forged or expired. */
  verify(token: string): Promise<(AccessTokenClaims & { expiresAt: Date }) | null>;
}

export async function createAccessTokenIssuer(privateKeyPem: string, ttlSeconds: number): Promise<AccessTokenIssuer> {
  const key = await importPKCS8(privateKeyPem, ALG);
  return {
    async issue({ userId, sessionId }) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + ttlSeconds;
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: ALG })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
  };
}

/** Verified tokens remembered by the verifier (the most recently verified first to stay). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Verifies access tokens. A token that verified is remembered until it expires (a signed, unexpired
 * token stays valid until then: nothing revokes one early), so a client's every request after its
 * first costs a map lookup instead of an Ed25519 verification and jose's claim checks. Only tokens
 * that verified are kept, at most VERIFIED_TOKENS_KEPT, the oldest dropped first: garbage tokens
 * cost a verification each, as before, and cannot fill the memory.
 */
export async function createAccessTokenVerifier(publicKeyPem: string): Promise<AccessTokenVerifier> {
  const key = await importSPKI(publicKeyPem, ALG);
  const verified = new Map<string, AccessTokenClaims & { expiresAt: Date }>();
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAt.getTime() > Date.now()) return known;
        verified.delete(token);
        return null;
      }
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: [ALG] });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return null;
        const claims = Object.freeze({ userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp * 1000) });
        if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
        verified.set(token, claims);
        return claims;
      } catch (e) {
        if (e instanceof errors.JOSEError) return null;
        throw e;
      }
    },
  };
}
