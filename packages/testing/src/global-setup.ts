import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import './database.ts';
import { createProgress, ensurePostgres, ensureRedis, loadOrCreateSecrets } from '@shutter/local-infra';


const dataDir = fileURLToPath(new URL('../../../.data', import.meta.url));

/**
 * Finds Postgres and Redis exactly as `npm start` does (POSTGRES_URL / REDIS_URL, else the embedded
 * Postgres under .data/ and the Redis on :6379 or from PATH), once for the whole run.
 */
export default async function setup(project: TestProject) {
  const progress = createProgress();
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'), []);
  const pg = await progress.step(
    'tests: postgres',
    () => ensurePostgres({ dataDir: join(dataDir, 'postgres'), port: Number(process.env.SHUTTER_PG_PORT ?? 54329), password: secrets.postgresPassword }),
    (p) => p.source,
  );
  const redis = await progress.step(
    'tests: redis',
    () => ensureRedis({ dataDir: join(dataDir, 'redis'), port: Number(process.env.SHUTTER_REDIS_PORT ?? 6390) }),
    (r) => `${r.source}, ${r.url}`,
  );
  project.provide('postgresAdminUrl', pg.adminUrl);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await pg.stop();
  };
}
