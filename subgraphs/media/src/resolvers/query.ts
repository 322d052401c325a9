import { parseFirst } from '@shutter/service';
import type { QueryResolvers } from '../generated/resolvers-types.ts';
import { listHashtagPosts } from '../posts.ts';
import { visibleTo } from '../visibility.ts';

export const Query: QueryResolvers = {
  post: async (_, { id }, { loaders, viewerId }) => {
    const post = await loaders.postById.load(id);
    return visibleTo(post, viewerId) ? post : null;
  },
  postsByHashtag: (_, { tag, first, after }, { db }) => listHashtagPosts(db, tag, parseFirst(first, 20), after),
};
