export { startSocialGraphService } from './service.ts';
export { startSocialGraphWorker } from './jobs/index.ts';
export { loadSocialGraphConfig, socialGraphConfigSchema, type SocialGraphConfig } from './config.ts';
export { socialGraphDatabase } from './db/index.ts';
export { seedFollowers } from './bulk-seed.ts';
