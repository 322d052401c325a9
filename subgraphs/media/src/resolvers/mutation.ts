import { notFound, requireViewer } from '@shutter/service';
import type { MediaContext } from '../context.ts';
import { setAvatar } from '../avatars.ts';
import { addComment, deleteComment } from '../comments.ts';
import type { MutationResolvers } from '../generated/resolvers-types.ts';
import { likePost, unlikePost } from '../likes.ts';
import { createPost, deletePost } from '../posts.ts';
import { createUpload } from '../uploads.ts';
import { visibleTo } from '../visibility.ts';


/** A post as it is after a change, read fresh (not from this request's cache). */
async function freshPost(context: MediaContext, postId: string) {
  context.loaders.postById.clear(postId);
  context.loaders.viewerHasLiked.clear(postId);
  const post = await context.loaders.postById.load(postId);
  if (!visibleTo(post, context.viewerId)) throw notFound('No such post.');
  return post;
}

export const Mutation: MutationResolvers = {
  createUpload: (_, { input }, context) => createUpload(context.db, context.uploads, requireViewer(context.viewerId), input),
  createPost: (_, { input }, context) => createPost(context.db, requireViewer(context.viewerId), input),
  deletePost: async (_, { id }, context) => {
    const { deleted, fileKeys } = await deletePost(context.db, requireViewer(context.viewerId), id);
    // Files go after the commit; a failure here leaves orphans to sweep, never a broken post.
    if (fileKeys.length) await context.storage.delete(fileKeys).catch((err) => context.log.warn({ err, postId: id }, 'could not delete files'));
    return deleted;
  },
  likePost: async (_, { postId }, context) => {
    await likePost(context.db, requireViewer(context.viewerId), postId);
    return freshPost(context, postId);
  },
  unlikePost: async (_, { postId }, context) => {
    await unlikePost(context.db, requireViewer(context.viewerId), postId);
    return freshPost(context, postId);
  },
  addComment: (_, { postId, text }, context) => addComment(context.db, requireViewer(context.viewerId), postId, text),
  deleteComment: (_, { id }, context) => deleteComment(context.db, requireViewer(context.viewerId), id),
  setAvatar: async (_, { uploadId }, context) => {
    const userId = requireViewer(context.viewerId);
    await setAvatar(context.db, userId, uploadId ?? null);
    return { id: userId };
  },
};
