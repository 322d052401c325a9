export { startSocialGraphService, socialGraphTypeDefs, FOLLOWER_IDS_PATH, INTERNAL_PATHS } from './service.ts';
export { startSocialGraphWorker } from './jobs/index.ts';
export { loadSocialGraphConfig, socialGraphConfigSchema, type SocialGraphConfig } from './config.ts';
export { migrateSocialGraphDatabase, socialGraphMigrationsFolder } from './db/migrate.ts';
