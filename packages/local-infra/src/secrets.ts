import { newAccessTokenKeys, newSecret, newVapidKeys } from '@shutter/auth';
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

function vapidKeys(): { vapidPublicKey: string; vapidPrivateKey: string } {
  const { publicKey, privateKey } = newVapidKeys();
  return { vapidPublicKey: publicKey, vapidPrivateKey: privateKey };
}

export function loadOrCreateSecrets(file: string, services: string[]): LocalSecrets {
  let secrets: LocalSecrets;
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  } else {
    const { privateKey, publicKey } = newAccessTokenKeys();
    secrets = {
      gatewaySigningSecret: newSecret(),
      accessTokenPrivateKey: privateKey,
      accessTokenPublicKey: publicKey,
      postgresPassword: newSecret(),
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
      secrets.rolePasswords[service] = newSecret();
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
