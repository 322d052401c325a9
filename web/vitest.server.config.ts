import { defineProject } from 'vitest/config';

/** The web server's tests: real HTTP and WebSocket, against fake upstreams (no database). */
export default defineProject({
  test: {
    name: 'web-server',
    environment: 'node',
    include: ['server/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
