/**
 * `npm run migrate`: applies every subgraph's committed migrations to the database named by its
 * *_DATABASE_URL. The separate step that runs before the services (npm start runs it itself; in
 * containers it is the `migrate` job).
 */
import { join } from 'node:path';
import { runMigrations } from '@shutter/db';
import { createProgress } from '@shutter/local-infra';
import { ROOT, SUBGRAPHS } from './services.ts';

const missing = SUBGRAPHS.filter((s) => !process.env[s.databaseEnv]).map((s) => s.databaseEnv);
if (missing.length > 0) {
  console.error(`migrate: set ${missing.join(', ')} (postgres:// URLs), or use npm start, which provisions them.`);
  process.exit(1);
}
const progress = createProgress();
for (const s of SUBGRAPHS) {
  await progress.step(`migrations ${s.name}`, () => runMigrations(process.env[s.databaseEnv] as string, join(ROOT, s.dir, 'migrations')));
}
