import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** The service packages: each runs on its own and owns its data. */
const SERVICES = { users: 'subgraphs/users', media: 'subgraphs/media', 'social-graph': 'subgraphs/social-graph', feed: 'subgraphs/feed', gateway: 'gateway' };

/**
 * No service imports another service's package, by name or by path: what services share is a
 * contract in packages/contracts (a schema and a typed client) or a building block in packages/.
 * Shared packages import no service at all. Tests may start other services (a stack), so the rule
 * holds for src/ and packages/, not test/.
 */
const boundary = (allowed) => {
  const others = Object.entries(SERVICES).filter(([name]) => name !== allowed);
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: others.flatMap(([name]) => [`@shutter/${name}`, `@shutter/${name}/*`]),
            message: "A service never imports another service's package: share a contract in packages/contracts (or a building block in packages/) instead.",
          },
          {
            group: others.flatMap(([, dir]) => [`**/${dir}/**`, `**/${dir.split('/').at(-1)}/src/**`]),
            message: "A service never reaches into another service's files: share a contract in packages/contracts instead.",
          },
        ],
      },
    ],
  };
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/generated/**', '.data/**', '**/dist/**', 'web/server-dist/**', 'web/src/gql/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', performance: 'readonly', AbortSignal: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  ...Object.entries(SERVICES).map(([name, dir]) => ({ files: [`${dir}/src/**/*.ts`], rules: boundary(name) })),
  { files: ['packages/*/src/**/*.ts'], rules: boundary(null) },
  {
    // The web client's React: the rules of hooks, and the React Compiler's checks of purity.
    files: ['web/src/**/*.{ts,tsx}', 'web/explorer/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    // The web client's service worker: plain JavaScript in the worker's global scope.
    files: ['web/public/sw.js'],
    languageOptions: { globals: { self: 'readonly', URL: 'readonly' } },
  },
  {
    // Tests and their helpers read GraphQL responses as loose JSON.
    files: ['**/test/**', 'packages/testing/**', 'scripts/smoke.ts', 'bench/**', 'faults/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
