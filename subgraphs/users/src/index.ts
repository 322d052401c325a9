export { startUsersService, type UsersService } from './service.ts';
export { loadUsersConfig, usersConfigSchema, type UsersConfig } from './config.ts';
export { usersDatabase } from './db/index.ts';
export { startUsersWorker, PUSH_DELIVER_QUEUE, PUSH_NOTIFICATION_QUEUE } from './jobs/index.ts';
export { seedUsers, type SeedUser } from './bulk-seed.ts';
