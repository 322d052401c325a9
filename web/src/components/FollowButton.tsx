import type { ApolloCache } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { useViewerSession } from '../app/services.tsx';
import { graphql } from '../gql/index.ts';
import type { FollowButton_UserFragment } from '../gql/graphql.ts';
import { describeError } from '../lib/errors.ts';
import { useToast } from './Toasts.tsx';
import styles from './FollowButton.module.css';

export const FollowButton_user = graphql(`
  fragment FollowButton_user on User {
    id
    username
    viewerIsFollowing
    followsViewer
    followerCount
  }
`);

const Follow = graphql(`
  mutation Follow($userId: ID!) {
    follow(userId: $userId) {
      id
      ...FollowButton_user
    }
  }
`);

const Unfollow = graphql(`
  mutation Unfollow($userId: ID!) {
    unfollow(userId: $userId) {
      id
      ...FollowButton_user
    }
  }
`);

/**
 * Follow, Following, or Follow back (they follow you). The button and both counts (their
 * followers, your following) change at once and go back, with a message, if the server refuses.
 */
export function FollowButton({ user, size = 'normal' }: { user: FollowButton_UserFragment; size?: 'normal' | 'small' }) {
  const { user: viewer } = useViewerSession();
  const toast = useToast();
  const [follow] = useMutation(Follow);
  const [unfollow] = useMutation(Unfollow);
  if (user.id === viewer.id) return null;

  const toggle = async () => {
    const want = !user.viewerIsFollowing;
    const optimistic = { ...user, __typename: 'User' as const, viewerIsFollowing: want, followerCount: Math.max(0, user.followerCount + (want ? 1 : -1)) };
    // The viewer's own following count moves with it (in the optimistic layer, then for real).
    const update = (cache: ApolloCache) =>
      cache.modify({
        id: cache.identify({ __typename: 'User', id: viewer.id }),
        fields: { followingCount: (count: number) => Math.max(0, count + (want ? 1 : -1)) },
      });
    try {
      if (want) await follow({ variables: { userId: user.id }, optimisticResponse: { __typename: 'Mutation', follow: optimistic }, update });
      else await unfollow({ variables: { userId: user.id }, optimisticResponse: { __typename: 'Mutation', unfollow: optimistic }, update });
    } catch (error) {
      toast.error(`${want ? `Couldn’t follow @${user.username}` : `Couldn’t unfollow @${user.username}`}: ${describeError(error)}`);
    }
  };

  const label = user.viewerIsFollowing ? 'Following' : user.followsViewer ? 'Follow back' : 'Follow';
  return (
    <button
      type="button"
      className={`${styles.button} ${user.viewerIsFollowing ? styles.following : styles.follow} ${size === 'small' ? styles.small : ''}`}
      aria-pressed={user.viewerIsFollowing}
      aria-label={`${label} @${user.username}`}
      onClick={() => void toggle()}
    >
      {label}
    </button>
  );
}
