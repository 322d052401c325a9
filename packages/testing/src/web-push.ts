import { newVapidKeys } from '@shutter/auth';
import { createDecipheriv, createECDH, hkdfSync, randomBytes, type ECDH } from 'node:crypto';

/**
 * A browser's side of Web Push, for tests that deliver to a local push service: its P-256 key pair
 * and auth secret, the PushSubscription JSON it registers, and the decryption (RFC 8291 + 8188).
 */
export interface TestBrowser {
  ecdh: ECDH;
  auth: Buffer;
}

export const newTestBrowser = (): TestBrowser => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { ecdh, auth: randomBytes(16) };
};

/** The PushSubscription as JSON, as `registerPushDevice` takes it for WEB_PUSH. */
export const subscriptionOf = (browser: TestBrowser, endpoint: string) =>
  JSON.stringify({ endpoint, expirationTime: null, keys: { p256dh: browser.ecdh.getPublicKey().toString('base64url'), auth: browser.auth.toString('base64url') } });

/** What the browser does with a push: aes128gcm, one record, the sender's key in the header. */
export function decryptWebPush(body: Buffer, browser: TestBrowser): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (record.length > recordSize) throw new Error(`record of ${record.length} bytes exceeds the declared size ${recordSize}`);
  const shared = browser.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), browser.ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, browser.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(-16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, -16)), decipher.final()]);
  // The last record's plaintext ends with the delimiter 0x02, then zero bytes of padding.
  return padded.subarray(0, padded.lastIndexOf(2)).toString('utf8');
}

/** A VAPID key pair as VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY take them (raw P-256, base64url). */
export function newTestVapidKeys(): { VAPID_PUBLIC_KEY: string; VAPID_PRIVATE_KEY: string } {
  const { publicKey, privateKey } = newVapidKeys();
  return { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey };
}
