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
  /** Per-service database role passwords, by service name. */
  rolePasswords: Record<string, string>;
}

const token = () => randomBytes(32).toString('base64url');

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
      rolePasswords: {},
    };
  }
  let changed = !existsSync(file);
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
