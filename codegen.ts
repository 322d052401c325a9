import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

/**
 * Resolver types per subgraph, from its own SDL (federation-aware: __resolveReference etc.), and
 * the web client's typed documents from the supergraph. Run `npm run codegen`; CI fails when the
 * committed output is stale.
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
    // The web client (and its server's session mutations): every graphql() document, checked
    // against the supergraph, typed, and listed in persisted-documents.json ({ sha256: text }), the
    // manifest a safelisting gateway accepts. Fragment masking off and __typename selected
    // everywhere, as Apollo Client's codegen guidance says: the cache adds __typename anyway, and
    // with it already there the text sent is the manifest's.
    'web/src/gql/': {
      schema: 'schema/supergraph.graphql',
      documents: ['web/src/**/*.{ts,tsx}', 'web/server/**/*.ts', '!web/src/gql/**', '!web/**/*.test.{ts,tsx}'],
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Only DateTime reaches operations; the supergraph's join__/link__ scalars stay unknown.
        defaultScalarType: 'unknown',
        scalars: { DateTime: 'string' },
        avoidOptionals: { field: true, inputValue: false },
        nonOptionalTypename: true,
        onlyOperationTypes: true,
        // The server (Node, NodeNext resolution) imports these too: explicit extensions.
        importExtension: '.ts',
      },
    },
  },
  hooks: { afterAllFileWrite: ['node scripts/mark-generated.mjs'] },
};

export default config;
