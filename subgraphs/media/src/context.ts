import type { Logger, SubgraphContextBase } from '@shutter/service';
import type { MediaDb } from './db/index.ts';
import { createMediaLoaders, type MediaLoaders } from './loaders.ts';
import type { ObjectStorage } from './storage/index.ts';
import type { UploadSettings } from './uploads.ts';

export interface MediaContext extends SubgraphContextBase {
  db: MediaDb;
  storage: ObjectStorage;
  uploads: UploadSettings;
  /** Builds the public URL of a stored file. */
  fileUrl(key: string): string;
  loaders: MediaLoaders;
  log: Logger;
}

export function createMediaContext(
  base: SubgraphContextBase,
  deps: { db: MediaDb; storage: ObjectStorage; uploads: UploadSettings },
): MediaContext {
  return {
    ...base,
    ...deps,
    fileUrl: (key) => `${deps.uploads.publicUrl}/files/${key}`,
    loaders: createMediaLoaders(deps.db, base.viewerId),
  };
}
