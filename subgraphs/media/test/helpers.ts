import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createTestDatabase, createTestSecrets, signedGraphql, testRedisPrefix, testRedisUrl, type GraphQLResponse, type TestDatabase } from '@shutter/testing';
import type { RunningSubgraph } from '@shutter/service';
import { loadMediaConfig, type MediaConfig } from '../src/config.ts';
import { mediaDatabase } from '../src/db/index.ts';
import { startMediaWorker } from '../src/jobs/index.ts';
import { startMediaService } from '../src/service.ts';

export interface MediaHarness {
  config: MediaConfig;
  database: TestDatabase;
  media: RunningSubgraph;
  worker: Awaited<ReturnType<typeof startMediaWorker>> | null;
  storageDir: string;
  call(query: string, variables?: Record<string, unknown>, viewerId?: string | null): Promise<GraphQLResponse<Record<string, any>>>;
  /** createUpload then PUT: the upload's id and the PUT's answer. */
  upload(viewerId: string, bytes: Buffer, options?: { contentType?: string; byteSize?: number }): Promise<{ id: string; status: number; body: any; uploadUrl: string }>;
  close(): Promise<void>;
}

/** The media subgraph (and, unless told not to, its worker) on a fresh database and storage folder. */
export async function startMediaHarness(options: { worker?: boolean; env?: Record<string, string>; onQuery?: (q: string) => void } = {}): Promise<MediaHarness> {
  const secrets = await createTestSecrets();
  const database = await createTestDatabase(mediaDatabase);
  const storageDir = mkdtempSync(join(tmpdir(), 'shutter-media-'));
  const logger = pino({ level: 'silent' });
  const base = {
    MEDIA_DATABASE_URL: database.url,
    MEDIA_PORT: '0',
    GATEWAY_SIGNING_SECRET: secrets.GATEWAY_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: testRedisPrefix(),
    MEDIA_STORAGE_DIR: storageDir,
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = loadMediaConfig(base);
  const media = await startMediaService(config, { logger, database: { onQuery: options.onQuery } });
  const worker = options.worker === false ? null : await startMediaWorker(config, { logger });
  const call: MediaHarness['call'] = (query, variables, viewerId) =>
    signedGraphql(`${media.url}/graphql`, secrets.GATEWAY_SIGNING_SECRET, { query, variables, viewerId });
  return {
    config,
    database,
    media,
    worker,
    storageDir,
    call,
    async upload(viewerId, bytes, { contentType = 'image/jpeg', byteSize = bytes.length } = {}) {
      const created = await call(
        'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl expiresAt } }',
        { input: { contentType, byteSize } },
        viewerId,
      );
      if (!created.data) throw new Error(JSON.stringify(created.errors));
      const { id, uploadUrl } = created.data.createUpload;
      const response = await fetch(uploadUrl, { method: 'PUT', body: bytes }).catch((e: Error) => ({ status: 0, json: async () => ({ error: e.message }) }));
      return { id, status: response.status, body: await response.json().catch(() => null), uploadUrl };
    },
    async close() {
      await worker?.close();
      await media.close();
      await database.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export const viewer = (n: number) => `01930000-0000-7000-8000-${String(n).padStart(12, '0')}`;
