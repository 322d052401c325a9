import { parseFirst } from '@shutter/service';
import type { CommentResolvers, ImageResolvers, PostResolvers, UserResolvers } from '../generated/resolvers-types.ts';
import { listComments } from '../comments.ts';
import { listUserPosts } from '../posts.ts';
import { referenceableBy, visibleTo } from '../visibility.ts';

export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  avatar: ({ id }, _, { loaders }) => loaders.avatar.load(id),
  posts: ({ id }, { first, after }, { db }) => listUserPosts(db, id, parseFirst(first, 12), after),
  postCount: ({ id }, _, { loaders }) => loaders.postCount.load(id),
};

export const Post: PostResolvers = {
  // One query for the whole _entities batch; others' unpublished posts resolve to null.
  __resolveReference: async ({ id }, { loaders, viewerId }) => {
    const post = await loaders.postById.load(id);
    return referenceableBy(post, viewerId) ? post : null;
  },
  author: (post) => ({ id: post.authorId }),
  media: (post, _, { loaders }) => loaders.imagesByPostId.load(post.id),
  viewerHasLiked: (post, _, { loaders }) => loaders.viewerHasLiked.load(post.id),
  comments: (post, { first, after }, { db }) => listComments(db, post.id, parseFirst(first, 20), after),
};

export const Comment: CommentResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.commentById.load(id),
  post: async (comment, _, { loaders, viewerId }) => {
    const post = await loaders.postById.load(comment.postId);
    // commentById hands out only comments on posts the viewer sees.
    if (!visibleTo(post, viewerId)) throw new Error(`comment ${comment.id} has no visible post`);
    return post;
  },
  author: (comment) => ({ id: comment.authorId }),
};

// url, width and height describe one picture: the largest variant (WebP), not the original.
export const Image: ImageResolvers = {
  url: (image, _, { fileUrl }) => fileUrl(image.variants[0]!.key),
  width: (image) => image.variants[0]!.width,
  height: (image) => image.variants[0]!.height,
  variants: (image, _, { fileUrl }) => image.variants.map((v) => ({ url: fileUrl(v.key), width: v.width, height: v.height, contentType: v.contentType })),
};
