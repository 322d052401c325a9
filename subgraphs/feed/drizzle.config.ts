import { defineConfig } from 'drizzle-kit';

// `npm run db:generate -w @shutter/feed` writes a migration from changes to src/db/schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});
