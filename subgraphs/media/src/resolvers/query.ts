import { parseFirst } from '@shutter/service';
import type { QueryResolvers } from '../generated/resolvers-types.ts';
import { listHashtagPosts } from '../posts.ts';

export const Query: QueryResolvers = {
  post: (_, { id }, { loaders }) => loaders.postById.load(id),
  postsByHashtag: (_, { tag, first, after }, { db }) => listHashtagPosts(db, tag, parseFirst(first, 20), after),
};
