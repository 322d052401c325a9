import { badUserInput, parseFirst } from '@shutter/service';
import type { QueryResolvers } from '../generated/resolvers-types.ts';
import { findUserByUsername, searchUsers } from '../users.ts';

export const Query: QueryResolvers = {
  me: (_, __, { viewerId, loaders }) => (viewerId ? loaders.userById.load(viewerId) : null),

  user: async (_, { id, username }, { loaders, db }) => {
    if ((id == null) === (username == null)) throw badUserInput('Give exactly one of id and username.');
    if (id != null) return loaders.userById.load(id);
    return findUserByUsername(db, username as string);
  },

  searchUsers: (_, { query, first }, { db }) => searchUsers(db, query, parseFirst(first, 20)),

  webPushPublicKey: (_, __, { webPushPublicKey }) => webPushPublicKey,
};
