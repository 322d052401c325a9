/**
 * Writes the installation's secrets as files into a folder, once (a second run keeps them): the
 * gateway signing secret and the access-token key pair. Containers read them through *_FILE.
 *   tsx scripts/make-secrets.ts /run/secrets/shutter
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, generateKeyPairSync } from 'node:crypto';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: tsx scripts/make-secrets.ts <folder>');
  process.exit(1);
}
mkdirSync(folder, { recursive: true });
const signing = join(folder, 'gateway_signing_secret');
if (existsSync(signing)) {
  console.log(`secrets: kept those in ${folder}`);
} else {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(join(folder, 'access_token_private_key.pem'), privateKey, { mode: 0o640 });
  writeFileSync(join(folder, 'access_token_public_key.pem'), publicKey, { mode: 0o644 });
  writeFileSync(signing, randomBytes(32).toString('base64url'), { mode: 0o640 });
  console.log(`secrets: made new ones in ${folder}`);
}
