import { fileURLToPath } from 'node:url';
import { runMigrations } from '@shutter/db';

export const usersMigrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export const migrateUsersDatabase = (url: string) => runMigrations(url, usersMigrationsFolder);

// `npm run migrate -w @shutter/users`: the separate migration step, run before the service starts.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.USERS_DATABASE_URL;
  if (!url) {
    console.error('users migrate: set USERS_DATABASE_URL (npm start sets it for you)');
    process.exit(1);
  }
  await migrateUsersDatabase(url);
  console.log('users: migrations applied');
}
