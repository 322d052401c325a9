import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createAccessTokenIssuer,
  createAccessTokenVerifier,
  newAccessTokenKeys,
  signRequest,
  verifyRequestSignature,
} from '../src/index.ts';

describe('access tokens', () => {
  it('round-trips claims and rejects tokens from another key, tampered or expired', async () => {
    const keys = newAccessTokenKeys();
    const other = newAccessTokenKeys();
    const issuer = await createAccessTokenIssuer(keys.privateKey, 900);
    const verifier = await createAccessTokenVerifier(keys.publicKey);
    const { token, expiresAt } = await issuer.issue({ userId: 'u1', sessionId: 's1' });
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 890_000);
    expect(await verifier.verify(token)).toMatchObject({ userId: 'u1', sessionId: 's1' });

    const forged = await (await createAccessTokenIssuer(other.privateKey, 900)).issue({ userId: 'u1', sessionId: 's1' });
    expect(await verifier.verify(forged.token)).toBeNull();
    expect(await verifier.verify(token.slice(0, -2) + 'xx')).toBeNull();
    expect(await verifier.verify('not a jwt')).toBeNull();

    const expired = await (await createAccessTokenIssuer(keys.privateKey, -10)).issue({ userId: 'u1', sessionId: 's1' });
    expect(await verifier.verify(expired.token)).toBeNull();
  });

  describe('a token verified once', () => {
    afterEach(() => vi.useRealTimers());

    it('is remembered until it expires, and refused from then on', async () => {
      const keys = newAccessTokenKeys();
      const verifier = await createAccessTokenVerifier(keys.publicKey);
      const { token } = await (await createAccessTokenIssuer(keys.privateKey, 60)).issue({ userId: 'u1', sessionId: 's1' });
      const first = await verifier.verify(token);
      expect(first).toMatchObject({ userId: 'u1', sessionId: 's1' });
      // The same claims again, from memory.
      expect(await verifier.verify(token)).toBe(first);
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
      expect(await verifier.verify(token)).toBeNull();
      // A tampered copy of a remembered token is not taken for it.
      vi.useRealTimers();
      const { token: fresh } = await (await createAccessTokenIssuer(keys.privateKey, 60)).issue({ userId: 'u2', sessionId: 's2' });
      expect(await verifier.verify(fresh)).toMatchObject({ userId: 'u2' });
      expect(await verifier.verify(fresh.slice(0, -2) + 'xx')).toBeNull();
    });
  });
});

describe('request signature', () => {
  const secret = 's'.repeat(40);
  const parts = { viewerId: 'viewer-1', requestId: 'req-1', body: '{"query":"{ me { id } }"}' };
  const reader = (headers: Record<string, string>) => (name: string) => headers[name];

  it('accepts what it signed', () => {
    const headers = signRequest(secret, parts);
    expect(verifyRequestSignature(secret, reader(headers), parts.body)).toEqual({ ok: true, viewerId: 'viewer-1', requestId: 'req-1' });
  });

  it('refuses a changed viewer, body, secret, or an old timestamp', () => {
    const headers = signRequest(secret, parts);
    expect(verifyRequestSignature(secret, reader({ ...headers, 'x-viewer-id': 'someone-else' }), parts.body).ok).toBe(false);
    expect(verifyRequestSignature(secret, reader(headers), '{"query":"{ other }"}').ok).toBe(false);
    expect(verifyRequestSignature('t'.repeat(40), reader(headers), parts.body).ok).toBe(false);
    const old = signRequest(secret, parts, Date.now() - 120_000);
    expect(verifyRequestSignature(secret, reader(old), parts.body)).toEqual({ ok: false, reason: 'stale or invalid signature timestamp' });
    expect(verifyRequestSignature(secret, reader({}), parts.body)).toEqual({ ok: false, reason: 'unsigned request' });
  });
});
