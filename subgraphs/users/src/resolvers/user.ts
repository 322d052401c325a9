import type { UserResolvers } from '../generated/resolvers-types.ts';

export const User: UserResolvers = {
  // The loader turns a whole `_entities` batch into one query.
  __resolveReference: ({ id }, { loaders }) => loaders.userById.load(id),
};
