import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A random secret of 32 bytes, base64url (the gateway signing secret, database role passwords). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** The access-token key pair (Ed25519, PEM): the users subgraph signs with the private key, the gateway verifies. */
export function newAccessTokenKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/**
 * A VAPID key pair for Web Push (RFC 8292), as VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY take them: the
 * public key the uncompressed P-256 point (0x04 || x || y), the private key the 32-byte scalar,
 * both base64url. JWK gives every part at its full length, leading zero bytes included (an ECDH
 * object's getPrivateKey() drops them, 1 key in 256).
 */
export function newVapidKeys(): { publicKey: string; privateKey: string } {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const bytes = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
  return {
    publicKey: Buffer.concat([Buffer.from([0x04]), bytes(jwk.x), bytes(jwk.y)]).toString('base64url'),
    privateKey: bytes(jwk.d).toString('base64url'),
  };
}
