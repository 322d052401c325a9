import { randomBytes } from 'node:crypto';
import { generateAccessTokenKeys } from '@shutter/auth';

/** Keys and the signing secret for one test file's services. */
export async function createTestSecrets() {
  const keys = await generateAccessTokenKeys();
  return {
    GATEWAY_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    ACCESS_TOKEN_PRIVATE_KEY: keys.privateKeyPem,
    ACCESS_TOKEN_PUBLIC_KEY: keys.publicKeyPem,
  };
}
