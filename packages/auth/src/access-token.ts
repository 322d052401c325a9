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

export async function createAccessTokenVerifier(publicKeyPem: string): Promise<AccessTokenVerifier> {
  const key = await importSPKI(publicKeyPem, ALG);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: [ALG] });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return null;
        return { userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp * 1000) };
      } catch (e) {
        if (e instanceof errors.JOSEError) return null;
        throw e;
      }
    },
  };
}
