export { startMediaService } from './service.ts';
export { startMediaWorker } from './jobs/index.ts';
export { loadMediaConfig, mediaConfigSchema, type MediaConfig } from './config.ts';
export { mediaDatabase } from './db/index.ts';
export { renderVariants } from './processing.ts';
