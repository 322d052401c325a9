import { unauthenticated } from '@shutter/service';
import type { MutationResolvers } from '../generated/resolvers-types.ts';
import { follow, unfollow } from '../follows.ts';

export const Mutation: MutationResolvers = {
  follow: async (_, { userId }, { db, users, viewerId }) => {
    if (!viewerId) throw unauthenticated();
    await follow(db, users, viewerId, userId);
    return { id: userId };
  },
  unfollow: async (_, { userId }, { db, users, viewerId }) => {
    if (!viewerId) throw unauthenticated();
    await unfollow(db, users, viewerId, userId);
    return { id: userId };
  },
};
