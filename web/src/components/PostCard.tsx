import { Loader2, MessageCircle, MoreHorizontal, Send } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { useViewerSession } from '../app/services.tsx';
import { graphql } from '../gql/index.ts';
import type { PostCard_PostFragment } from '../gql/graphql.ts';
import { usePendingPostPoll } from '../hooks/usePendingPostPoll.ts';
import { useToggleLike } from '../hooks/useToggleLike.ts';
import { plural } from '../lib/format.ts';
import { usePendingPost } from '../lib/pending-posts.ts';
import { Avatar } from './Avatar.tsx';
import { Carousel } from './Carousel.tsx';
import { LikeButton } from './LikeButton.tsx';
import { PostMenu } from './PostMenu.tsx';
import { RelativeTime } from './RelativeTime.tsx';
import { ResponsiveImage } from './ResponsiveImage.tsx';
import { RichText } from './RichText.tsx';
import { useToast } from './Toasts.tsx';
import styles from './PostCard.module.css';

export const PostCard_post = graphql(`
  fragment PostCard_post on Post {
    id
    caption
    hashtags
    createdAt
    commentCount
    author {
      id
      username
      ...Avatar_user
    }
    media {
      id
      width
      height
      altText
      ...ResponsiveImage_image
    }
    ...LikeButton_post
  }
`);

/** Instagram's bounds for a feed photo's frame: from 4:5 (portrait) to 1.91:1 (landscape). */
export const frameRatio = (media: readonly { width: number; height: number }[]) => {
  const first = media[0];
  return first ? Math.min(1.91, Math.max(0.8, first.width / first.height)) : 1;
};

export const altOf = (image: { altText: string | null }, index: number, count: number, username: string) =>
  image.altText?.trim() || (count > 1 ? `Photo ${index + 1} of ${count} by @${username}` : `Photo by @${username}`);

const FEED_SIZES = '(min-width: 520px) 470px, 100vw';

export function PostCard({ post, priority = false }: { post: PostCard_PostFragment; priority?: boolean }) {
  const { user: viewer } = useViewerSession();
  const toggleLike = useToggleLike();
  const toast = useToast();
  const pending = usePendingPost(post.id);
  usePendingPostPoll(post.id, pending);
  const processing = pending !== null && post.media.length < pending.imageCount;
  const [expanded, setExpanded] = useState(false);
  const headingId = `post-${post.id}-author`;
  const long = (post.caption?.length ?? 0) > 140 || (post.caption?.split('\n').length ?? 0) > 2;

  const slides = processing && pending
    ? pending.previews.map((preview, i) => <img key={i} className={styles.preview} src={preview.url} alt={preview.alt || `Photo ${i + 1}, processing`} />)
    : post.media.map((image, i) => (
        <ResponsiveImage key={image.id} image={image} sizes={FEED_SIZES} eager={priority && i === 0} alt={altOf(image, i, post.media.length, post.author.username)} />
      ));

  const share = async () => {
    const url = new URL(`/p/${post.id}`, window.location.origin).toString();
    try {
      await navigator.clipboard.writeText(url);
      toast.info('Link copied to the clipboard.');
    } catch {
      toast.error(`Couldn’t copy the link; it is ${url}`);
    }
  };

  return (
    <article className={styles.card} aria-labelledby={headingId} aria-busy={processing || undefined}>
      <header className={styles.header}>
        <Link to={`/u/${post.author.username}`} className={styles.authorLink} tabIndex={-1} aria-hidden="true">
          <Avatar user={post.author} size={32} />
        </Link>
        <div className={styles.byline}>
          <Link id={headingId} to={`/u/${post.author.username}`} className={styles.username}>
            {post.author.username}
          </Link>
          <span className={styles.dot} aria-hidden="true">
            •
          </span>
          <Link to={`/p/${post.id}`} className={styles.time}>
            <RelativeTime iso={post.createdAt} />
          </Link>
        </div>
        {post.author.id === viewer.id ? <PostMenu postId={post.id} authorUsername={post.author.username} /> : <MoreHorizontal className={styles.spacer} aria-hidden="true" />}
      </header>

      <div className={styles.media}>
        <Carousel
          slides={slides}
          label={`Photos by @${post.author.username}`}
          aspectRatio={processing ? 1 : frameRatio(post.media)}
          onDoubleTap={processing ? undefined : () => void toggleLike(post, true)}
        />
        {processing && (
          <div className={styles.processing} role="status">
            <Loader2 className={styles.spin} size={18} aria-hidden="true" />
            Processing…
          </div>
        )}
      </div>

      <div className={styles.body}>
        <div className={styles.actions}>
          <LikeButton post={post} />
          <Link to={`/p/${post.id}#comment`} className={styles.action} aria-label={`Comment (${plural(post.commentCount, 'comment')})`}>
            <MessageCircle size={24} aria-hidden="true" style={{ transform: 'scaleX(-1)' }} />
          </Link>
          <button type="button" className={styles.action} aria-label="Copy link to post" onClick={() => void share()}>
            <Send size={22} aria-hidden="true" />
          </button>
        </div>
        <p className={styles.likes} aria-live="polite">
          {post.likeCount === 0 ? 'Be the first to like this' : plural(post.likeCount, 'like')}
        </p>
        {post.caption && (
          <p className={`${styles.caption} ${long && !expanded ? styles.clamped : ''}`}>
            <Link to={`/u/${post.author.username}`} className={styles.username}>
              {post.author.username}
            </Link>{' '}
            <RichText text={post.caption} hashtags={post.hashtags} />
          </p>
        )}
        {long && !expanded && (
          <button type="button" className={styles.more} onClick={() => setExpanded(true)}>
            more
          </button>
        )}
        {post.commentCount > 0 && (
          <Link to={`/p/${post.id}`} className={styles.comments}>
            {post.commentCount === 1 ? 'View 1 comment' : `View all ${plural(post.commentCount, 'comment')}`}
          </Link>
        )}
      </div>
    </article>
  );
}
