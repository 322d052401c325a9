export { startMediaService, mediaTypeDefs } from './service.ts';
export { startMediaWorker, MEDIA_QUEUES } from './jobs/index.ts';
export { loadMediaConfig, mediaConfigSchema, type MediaConfig } from './config.ts';
export { migrateMediaDatabase, mediaMigrationsFolder } from './db/migrate.ts';
export { renderVariants } from './processing.ts';
