import { resolve } from 'node:path';
import type { MediaConfig } from '../config.ts';
import { LocalStorage, S3Storage, type ObjectStorage } from './index.ts';

export function createStorage(config: MediaConfig): ObjectStorage {
  if (config.MEDIA_STORAGE === 's3') {
    return new S3Storage({
      bucket: config.S3_BUCKET!,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  return new LocalStorage(resolve(config.MEDIA_STORAGE_DIR));
}
