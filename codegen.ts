import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types per subgraph, from its own SDL (federation-aware: __resolveReference etc.).
 * Run `npm run codegen`; CI fails when the committed output is stale.
 */
const resolverPlugins = ['typescript', 'typescript-resolvers'];
const sharedConfig = {
  federation: true,
  useIndexSignature: true,
  useTypeImports: true,
  enumsAsTypes: true,
  scalars: { DateTime: { input: 'string', output: 'Date | string' }, ID: { input: 'string', output: 'string' } },
};

const config: CodegenConfig = {
  overwrite: true,
  generates: {
    'subgraphs/users/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/users/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...sharedConfig,
        contextType: '../context.ts#UsersContext',
        mappers: {
          User: '../db/schema.ts#UserRow',
          PushDevice: '../db/schema.ts#PushDeviceRow',
          AuthPayload: '../auth.ts#AuthSession',
        },
      },
    },
    'subgraphs/social-graph/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/social-graph/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...sharedConfig,
        contextType: '../context.ts#SocialGraphContext',
        mappers: { User: '../follows.ts#UserRef' },
      },
    },
    'subgraphs/media/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/media/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...sharedConfig,
        contextType: '../context.ts#MediaContext',
        mappers: {
          User: '../loaders.ts#UserRef',
          Post: '../db/schema.ts#PostRow',
          Comment: '../db/schema.ts#CommentRow',
          Image: '../loaders.ts#ImageView',
        },
      },
    },
    'subgraphs/feed/src/generated/resolvers-types.ts': {
      schema: 'subgraphs/feed/src/schema.graphql',
      plugins: resolverPlugins,
      config: {
        ...sharedConfig,
        contextType: '../context.ts#FeedContext',
        mappers: {
          Notification: '../db/schema.ts#NotificationRow',
        },
      },
    },
  },
  hooks: { afterAllFileWrite: ['node scripts/mark-generated.mjs'] },
};

export default config;
