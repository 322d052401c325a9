import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The browser tests: Debian's Chromium driven by playwright-core against the whole product, started
 * by the test as `npm start` would (its own databases, Redis prefix and ports). Postgres and Redis
 * are found by the same global setup as the services' tests. `npm run test:e2e -w web`.
 */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: [fileURLToPath(new URL('../packages/testing/src/global-setup.ts', import.meta.url))],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // One journey at a time: two browsers and a whole installation already fill two cores.
    fileParallelism: false,
  },
});
