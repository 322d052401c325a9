import type { DatabaseOptions } from '@shutter/db';
import { createLogger, startSubgraphServer, type Logger, type RunningSubgraph } from '@shutter/service';
import type { MediaConfig } from './config.ts';
import { createMediaContext } from './context.ts';
import { mediaDatabase } from './db/index.ts';
import { serveFile } from './files.ts';
import { schemaFile } from './paths.ts';
import { resolvers } from './resolvers/index.ts';
import { createStorage } from './storage/from-config.ts';
import type { ObjectStorage } from './storage/index.ts';
import { receiveUpload, uploadSettings, type UploadSettings } from './uploads.ts';

export async function startMediaService(
  config: MediaConfig,
  options: { logger?: Logger; database?: DatabaseOptions; storage?: ObjectStorage } = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger('media', config.LOG_LEVEL);
  const database = mediaDatabase.connect(config.MEDIA_DATABASE_URL, options.database);
  const storage = options.storage ?? createStorage(config);
  // Known once the server listens (its port may be 0), unless MEDIA_PUBLIC_URL says otherwise.
  let uploads: UploadSettings | null = config.MEDIA_PUBLIC_URL ? uploadSettings(config) : null;
  const settings = () => uploads!;
  const server = await startSubgraphServer({
    name: 'media',
    schemaFile,
    resolvers,
    logger,
    host: config.MEDIA_HOST,
    port: config.MEDIA_PORT,
    signingSecret: config.GATEWAY_SIGNING_SECRET,
    context: (base) => createMediaContext(base, { db: database.db, storage, uploads: settings() }),
    database,
    dependencies: [{ name: 'storage', required: false, check: () => storage.check() }],
    // The two public routes of a subgraph: authorised by the upload URL's own signature, and
    // public files. Everything else still needs the gateway's signature.
    streamHandler: async (req, res, { url, log }) => {
      if (req.method === 'PUT' && /^\/uploads\/[^/]+$/.test(url.pathname)) {
        await receiveUpload(req, res, url, { db: database.db, storage, settings: settings(), log });
        return true;
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/files/')) {
        await serveFile(req, res, url, storage);
        return true;
      }
      return false;
    },
  });
  uploads ??= uploadSettings(config, server.url);
  return server;
}
