import { Heart } from 'lucide-react';
import type { LikeButton_PostFragment } from '../gql/graphql.ts';
import { useToggleLike } from '../hooks/useToggleLike.ts';
import styles from './PostCard.module.css';

export { LikeButton_post } from '../hooks/useToggleLike.ts';

export function LikeButton({ post, size = 24 }: { post: LikeButton_PostFragment; size?: number }) {
  const toggle = useToggleLike();
  return (
    <button
      type="button"
      className={`${styles.action} ${post.viewerHasLiked ? styles.liked : ''}`}
      aria-pressed={post.viewerHasLiked}
      aria-label="Like"
      onClick={() => void toggle(post)}
    >
      <Heart size={size} aria-hidden="true" fill={post.viewerHasLiked ? 'currentColor' : 'none'} />
    </button>
  );
}
