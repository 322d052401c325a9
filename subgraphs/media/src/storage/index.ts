import type { Readable } from 'node:stream';

/**
 * Where original uploads and variants live. Two implementations: the local filesystem (default,
 * under .data/) and S3-compatible object storage. Keys are paths like `images/<id>/1080.webp`.
 */
export interface ObjectStorage {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object as a stream, or null when there is none. */
  get(key: string): Promise<{ body: Readable; contentType: string; size: number } | null>;
  getBuffer(key: string): Promise<Buffer | null>;
  delete(keys: string[]): Promise<void>;
  /** Resolves when the store can be written to (readiness); throws why not. */
  check(): Promise<void>;
}

export { LocalStorage } from './local.ts';
export { S3Storage } from './s3.ts';

/** Keys come from our own code, but a served path comes from a URL: only these shapes are valid. */
export const SAFE_KEY = /^(originals|images)\/[0-9a-f-]{36}(\/[a-z0-9]+)?\.(bin|webp|jpg)$|^originals\/[0-9a-f-]{36}$/;

export const contentTypeOfKey = (key: string): string =>
  key.endsWith('.webp') ? 'image/webp' : key.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream';
