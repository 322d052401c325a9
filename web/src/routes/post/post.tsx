import type { PreloadedQueryRef } from '@apollo/client/react';
import { useQueryRefHandlers, useReadQuery } from '@apollo/client/react';
import { MessageCircle } from 'lucide-react';
import { Suspense, useCallback } from 'react';
import { Link, useLoaderData } from 'react-router';
import { useViewerSession } from '../../app/services.tsx';
import { Avatar } from '../../components/Avatar.tsx';
import { Carousel } from '../../components/Carousel.tsx';
import { EmptyState } from '../../components/ErrorState.tsx';
import { LikeButton } from '../../components/LikeButton.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { altOf, frameRatio } from '../../components/PostCard.tsx';
import { PostMenu } from '../../components/PostMenu.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { ResponsiveImage } from '../../components/ResponsiveImage.tsx';
import { RichText } from '../../components/RichText.tsx';
import { RowSkeleton, SkeletonBox } from '../../components/Skeleton.tsx';
import type { PostPageQuery, PostPageQueryVariables } from '../../gql/graphql.ts';
import { useToggleLike } from '../../hooks/useToggleLike.ts';
import { plural } from '../../lib/format.ts';
import { AddCommentForm, CommentRow } from './Comments.tsx';
import styles from './post.module.css';

type Ref = PreloadedQueryRef<PostPageQuery, PostPageQueryVariables>;

function PostView({ queryRef }: { queryRef: Ref }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const { user: viewer } = useViewerSession();
  const toggleLike = useToggleLike();
  const post = data.post;
  const endCursor = post?.comments.pageInfo.endCursor ?? null;
  const loadMore = useCallback(() => fetchMore({ variables: { commentsAfter: endCursor } }), [fetchMore, endCursor]);
  if (!post) {
    return (
      <EmptyState icon={<MessageCircle size={36} strokeWidth={1.5} />} title="This post isn’t available">
        <p>It may have been deleted. </p>
        <p>
          <Link to="/">Back to your feed</Link>
        </p>
      </EmptyState>
    );
  }
  const author = post.author;
  return (
    <article className={styles.post} aria-labelledby="post-author">
      <div className={styles.media}>
        <Carousel
          label={`Photos by @${author.username}`}
          aspectRatio={frameRatio(post.media)}
          onDoubleTap={() => void toggleLike(post, true)}
          slides={post.media.map((image, i) => (
            <ResponsiveImage
              key={image.id}
              image={image}
              eager={i === 0}
              sizes="(min-width: 1100px) 600px, (min-width: 900px) 55vw, 100vw"
              alt={altOf(image, i, post.media.length, author.username)}
            />
          ))}
        />
      </div>
      <section className={styles.side}>
        <header className={styles.header}>
          <Link to={`/u/${author.username}`} aria-hidden="true" tabIndex={-1}>
            <Avatar user={author} size={32} />
          </Link>
          <h1 id="post-author" className={styles.author}>
            <Link to={`/u/${author.username}`}>{author.username}</Link>
          </h1>
          {author.id === viewer.id && <PostMenu postId={post.id} authorUsername={author.username} leaveTo={`/u/${author.username}`} />}
        </header>
        <div className={styles.thread}>
          {post.caption && (
            <div className={styles.comment}>
              <Avatar user={author} size={32} />
              <div className={styles.commentBody}>
                <p className={styles.commentText}>
                  <Link to={`/u/${author.username}`} className={styles.username}>
                    {author.username}
                  </Link>{' '}
                  <RichText text={post.caption} hashtags={post.hashtags} />
                </p>
                <RelativeTime iso={post.createdAt} className={styles.commentTime} />
              </div>
            </div>
          )}
          <h2 className="visually-hidden">Comments</h2>
          {post.comments.edges.length === 0 ? (
            <p className={styles.noComments}>No comments yet. Start the conversation.</p>
          ) : (
            <ul className={styles.comments}>
              {post.comments.edges.map((edge) => (
                <CommentRow key={edge.node.id} comment={edge.node} postId={post.id} postAuthorId={author.id} />
              ))}
            </ul>
          )}
          <LoadMore hasMore={post.comments.pageInfo.hasNextPage} loadMore={loadMore} skeleton={<RowSkeleton count={2} />} label="Load more comments" />
        </div>
        <div className={styles.footer}>
          <div className={styles.actions}>
            <LikeButton post={post} />
            <a href="#comment" className={styles.action} aria-label="Write a comment" onClick={(e) => (e.preventDefault(), document.getElementById(`comment-${post.id}`)?.focus())}>
              <MessageCircle size={24} aria-hidden="true" style={{ transform: 'scaleX(-1)' }} />
            </a>
          </div>
          <p className={styles.likes} aria-live="polite">
            {post.likeCount === 0 ? 'Be the first to like this' : plural(post.likeCount, 'like')}
            <span className={styles.commentTotal}> · {plural(post.commentCount, 'comment')}</span>
          </p>
          <RelativeTime iso={post.createdAt} long className={styles.when} />
          <AddCommentForm postId={post.id} />
        </div>
      </section>
    </article>
  );
}

function PostSkeletonView() {
  return (
    <div className={styles.post} aria-busy="true" aria-label="Loading the post">
      <div className={styles.media}>
        <SkeletonBox width="100%" height="100%" className={styles.mediaSkeleton} />
      </div>
      <section className={styles.side}>
        <RowSkeleton count={4} />
      </section>
    </div>
  );
}

export function Component() {
  const queryRef = useLoaderData() as Ref;
  return (
    <div className={styles.page}>
      <Suspense fallback={<PostSkeletonView />}>
        <PostView queryRef={queryRef} />
      </Suspense>
    </div>
  );
}
