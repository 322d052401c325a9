export { startFeedService } from './service.ts';
export { startFeedWorker } from './jobs/index.ts';
export { loadFeedConfig, feedConfigSchema, type FeedConfig } from './config.ts';
export { feedDatabase } from './db/index.ts';
export { createFeedDeps, type FeedDeps } from './deps.ts';
export { fanOutPost } from './jobs/post-created.ts';
export { TimelineStore } from './timelines.ts';
