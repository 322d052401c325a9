import { newAccessTokenKeys, newSecret } from '@shutter/auth';

/** Keys and the signing secret for one test file's services. */
export async function createTestSecrets() {
  const keys = newAccessTokenKeys();
  return {
    GATEWAY_SIGNING_SECRET: newSecret(),
    ACCESS_TOKEN_PRIVATE_KEY: keys.privateKey,
    ACCESS_TOKEN_PUBLIC_KEY: keys.publicKey,
  };
}
