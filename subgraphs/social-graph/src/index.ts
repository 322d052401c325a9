export { startSocialGraphService, socialGraphTypeDefs, FOLLOWER_IDS_PATH } from './service.ts';
export { INTERNAL_PATHS, SocialGraphClient } from './client.ts';
export { startSocialGraphWorker } from './jobs/index.ts';
export { loadSocialGraphConfig, socialGraphConfigSchema, type SocialGraphConfig } from './config.ts';
export { migrateSocialGraphDatabase, socialGraphMigrationsFolder } from './db/migrate.ts';
