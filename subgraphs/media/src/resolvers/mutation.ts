import { notFound, unauthenticated } from '@shutter/service';
import type { MediaContext } from '../context.ts';
import type { MutationResolvers } from '../generated/resolvers-types.ts';
import { addComment, createPost, deleteComment, deletePost, likePost, setAvatar, unlikePost } from '../posts.ts';
import { createUpload } from '../uploads.ts';

const viewer = ({ viewerId }: MediaContext): string => {
  if (!viewerId) throw unauthenticated();
  return viewerId;
};

/** A post as it is after a change, read fresh (not from this request's cache). */
async function freshPost(context: MediaContext, postId: string) {
  context.loaders.postById.clear(postId);
  context.loaders.viewerHasLiked.clear(postId);
  const post = await context.loaders.postById.load(postId);
  if (!post) throw notFound('No such post.');
  return post;
}

export const Mutation: MutationResolvers = {
  createUpload: (_, { input }, context) => createUpload(context.db, context.uploads, viewer(context), input),
  createPost: (_, { input }, context) => createPost(context.db, viewer(context), input),
  deletePost: async (_, { id }, context) => {
    const { deleted, fileKeys } = await deletePost(context.db, viewer(context), id);
    // Files go after the commit; a failure here leaves orphans to sweep, never a broken post.
    if (fileKeys.length) await context.storage.delete(fileKeys).catch((err) => context.log.warn({ err, postId: id }, 'could not delete files'));
    return deleted;
  },
  likePost: async (_, { postId }, context) => {
    await likePost(context.db, viewer(context), postId);
    return freshPost(context, postId);
  },
  unlikePost: async (_, { postId }, context) => {
    await unlikePost(context.db, viewer(context), postId);
    return freshPost(context, postId);
  },
  addComment: (_, { postId, text }, context) => addComment(context.db, viewer(context), postId, text),
  deleteComment: (_, { id }, context) => deleteComment(context.db, viewer(context), id),
  setAvatar: async (_, { uploadId }, context) => {
    const userId = viewer(context);
    await setAvatar(context.db, userId, uploadId ?? null);
    return { id: userId };
  },
};
