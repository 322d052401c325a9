import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// graphql ships CommonJS (main) and ESM (module) builds. Node, and so the running services, load the
// CommonJS one everywhere; Vite would hand our sources the ESM one, and a schema built by Apollo
// (CommonJS) would then be "from another module or realm" for them. Pin the one Node uses.
const graphqlCommonJs = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCommonJs }] },
  test: {
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file owns a database; two cores run two files at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'services', include: ['scripts/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts'] },
      },
      // The web client (happy-dom) and its server; its browser tests run apart (npm run test:e2e -w web).
      'web/vitest.config.ts',
      'web/vitest.server.config.ts',
    ],
  },
});
