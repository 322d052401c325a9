import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const graphqlCommonJs = createRequire(import.meta.url).resolve('graphql');

/**
 * The fault tests (`npm run test:faults`, a step of .ci/run of its own): each file starts the
 * whole product as `npm start` does, with its own Postgres, Redis and ports, and breaks parts of
 * it. One file at a time: each runs a dozen processes on a machine of two cores.
 */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCommonJs }] },
  test: {
    include: ['faults/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
