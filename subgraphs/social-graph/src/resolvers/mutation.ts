import { requireViewer } from '@shutter/service';
import type { MutationResolvers } from '../generated/resolvers-types.ts';
import { follow, unfollow } from '../follows.ts';

export const Mutation: MutationResolvers = {
  follow: async (_, { userId }, { db, users, viewerId }) => {
    await follow(db, users, requireViewer(viewerId), userId);
    return { id: userId };
  },
  unfollow: async (_, { userId }, { db, users, viewerId }) => {
    await unfollow(db, users, requireViewer(viewerId), userId);
    return { id: userId };
  },
};
