export { startUsersService, usersTypeDefs, type UsersService } from './service.ts';
export { loadUsersConfig, usersConfigSchema, type UsersConfig } from './config.ts';
export { migrateUsersDatabase, usersMigrationsFolder } from './db/migrate.ts';
export { usersTestConfig } from './test-config.ts';
export { startUsersWorker, PUSH_DELIVER_QUEUE, PUSH_NOTIFICATION_QUEUE } from './jobs/index.ts';
