import { parseFirst } from '@shutter/service';
import type { UserResolvers } from '../generated/resolvers-types.ts';
import { listFollows } from '../follows.ts';

export const User: UserResolvers = {
  // This subgraph stores no user rows: a reference is all it needs.
  __resolveReference: ({ id }) => ({ id }),
  followers: ({ id }, { first, after }, { db }) => listFollows(db, 'followers', id, parseFirst(first, 20), after),
  following: ({ id }, { first, after }, { db }) => listFollows(db, 'following', id, parseFirst(first, 20), after),
  followerCount: async ({ id }, _, { loaders }) => (await loaders.counts.load(id)).followerCount,
  followingCount: async ({ id }, _, { loaders }) => (await loaders.counts.load(id)).followingCount,
  viewerIsFollowing: ({ id }, _, { loaders }) => loaders.viewerIsFollowing.load(id),
  followsViewer: ({ id }, _, { loaders }) => loaders.followsViewer.load(id),
};
