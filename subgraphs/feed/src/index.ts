export { startFeedService, feedTypeDefs } from './service.ts';
export { startFeedWorker, FEED_QUEUES } from './jobs/index.ts';
export { loadFeedConfig, feedConfigSchema, type FeedConfig } from './config.ts';
export { migrateFeedDatabase, feedMigrationsFolder } from './db/migrate.ts';
export { createFeedDeps, type FeedDeps } from './deps.ts';
export { fanOutPost } from './fanout.ts';
export { TimelineStore } from './timelines.ts';
