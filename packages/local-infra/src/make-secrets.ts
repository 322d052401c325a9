/**
 * Writes the installation's secrets as files into a folder, once (a second run keeps them): the
 * gateway signing secret, the access-token key pair and the VAPID key pair for Web Push.
 * Containers read them through *_FILE. Each set is checked on its own, so an older volume gains
 * the sets added since.
 *   node packages/local-infra/dist/make-secrets.js /run/secrets/shutter
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAccessTokenKeys, newSecret, newVapidKeys } from '@shutter/auth';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node packages/local-infra/dist/make-secrets.js <folder>');
  process.exit(1);
}
mkdirSync(folder, { recursive: true });
const signing = join(folder, 'gateway_signing_secret');
if (existsSync(signing)) {
  console.log(`secrets: kept those in ${folder}`);
} else {
  const { privateKey, publicKey } = newAccessTokenKeys();
  writeFileSync(join(folder, 'access_token_private_key.pem'), privateKey, { mode: 0o640 });
  writeFileSync(join(folder, 'access_token_public_key.pem'), publicKey, { mode: 0o644 });
  writeFileSync(signing, newSecret(), { mode: 0o640 });
  console.log(`secrets: made new ones in ${folder}`);
}

const vapidPrivate = join(folder, 'vapid_private_key');
if (!existsSync(vapidPrivate)) {
  const vapid = newVapidKeys();
  writeFileSync(join(folder, 'vapid_public_key'), vapid.publicKey, { mode: 0o644 });
  writeFileSync(vapidPrivate, vapid.privateKey, { mode: 0o640 });
  console.log(`secrets: made the VAPID keys in ${folder}`);
}
