import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';

/** The client's component and logic tests, in a simulated DOM (happy-dom). */
export default defineProject({
  plugins: [react()],
  define: { __SHUTTER_DEV_BACKEND__: JSON.stringify('') },
  test: {
    name: 'web',
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}', 'sw/*.test.ts'],
  },
});
