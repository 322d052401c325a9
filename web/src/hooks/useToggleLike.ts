import { useMutation } from '@apollo/client/react';
import { useCallback } from 'react';
import { graphql } from '../gql/index.ts';
import type { LikeButton_PostFragment } from '../gql/graphql.ts';
import { describeError } from '../lib/errors.ts';
import { useToast } from '../components/Toasts.tsx';

export const LikeButton_post = graphql(`
  fragment LikeButton_post on Post {
    id
    viewerHasLiked
    likeCount
  }
`);

const LikePost = graphql(`
  mutation LikePost($postId: ID!) {
    likePost(postId: $postId) {
      id
      ...LikeButton_post
    }
  }
`);

const UnlikePost = graphql(`
  mutation UnlikePost($postId: ID!) {
    unlikePost(postId: $postId) {
      id
      ...LikeButton_post
    }
  }
`);

/**
 * Like or unlike at once: the heart and the count change before the server answers (an optimistic
 * result in the cache), and go back, with a message, if it refuses.
 */
export function useToggleLike() {
  const toast = useToast();
  const [like] = useMutation(LikePost);
  const [unlike] = useMutation(UnlikePost);
  return useCallback(
    async (post: LikeButton_PostFragment, want: boolean = !post.viewerHasLiked) => {
      if (want === post.viewerHasLiked) return;
      const optimistic = { __typename: 'Post' as const, id: post.id, viewerHasLiked: want, likeCount: Math.max(0, post.likeCount + (want ? 1 : -1)) };
      try {
        if (want) await like({ variables: { postId: post.id }, optimisticResponse: { __typename: 'Mutation', likePost: optimistic } });
        else await unlike({ variables: { postId: post.id }, optimisticResponse: { __typename: 'Mutation', unlikePost: optimistic } });
      } catch (error) {
        // Apollo has already rolled the optimistic result back; say why.
        toast.error(`${want ? 'Couldn’t like the post' : 'Couldn’t remove your like'}: ${describeError(error)}`);
      }
    },
    [like, unlike, toast],
  );
}
