import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The secrets of a local installation, made once and kept under .data/ (never committed), so that
 * a second start reuses them: sessions, tokens and database roles survive a restart.
 */
export interface LocalSecrets {
  gatewaySigningSecret: string;
  accessTokenPrivateKey: string;
  accessTokenPublicKey: string;
  postgresPassword: string;
  /** Web Push's VAPID key pair (raw P-256, base64url, as VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY take them). */
  vapidPublicKey: string;
  vapidPrivateKey: string;
  /** Per-service database role passwords, by service name. */
  rolePasswords: Record<string, string>;
}

const token = () => randomBytes(32).toString('base64url');

/**
 * A VAPID key pair: the public key is the uncompressed point (0x04 || x || y), the private key the
 * 32-byte scalar. JWK gives both at their full length, leading zero bytes included.
 */
function vapidKeys(): { vapidPublicKey: string; vapidPrivateKey: string } {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const bytes = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
  return {
    vapidPublicKey: Buffer.concat([Buffer.from([0x04]), bytes(jwk.x), bytes(jwk.y)]).toString('base64url'),
    vapidPrivateKey: bytes(jwk.d).toString('base64url'),
  };
}

export function loadOrCreateSecrets(file: string, services: string[]): LocalSecrets {
  let secrets: LocalSecrets;
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  } else {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    secrets = {
      gatewaySigningSecret: token(),
      accessTokenPrivateKey: privateKey,
      accessTokenPublicKey: publicKey,
      postgresPassword: token(),
      ...vapidKeys(),
      rolePasswords: {},
    };
  }
  let changed = !existsSync(file);
  // A secrets file from before push delivery: add the VAPID pair, keep everything else.
  if (!secrets.vapidPublicKey || !secrets.vapidPrivateKey) {
    Object.assign(secrets, vapidKeys());
    changed = true;
  }
  for (const service of services) {
    if (!secrets.rolePasswords[service]) {
      secrets.rolePasswords[service] = token();
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
