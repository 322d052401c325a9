import type { PreloadedQueryRef } from '@apollo/client/react';
import { useQueryRefHandlers, useReadQuery } from '@apollo/client/react';
import { Camera, Copy, Heart, MessageCircle, UserX } from 'lucide-react';
import { Suspense, useCallback } from 'react';
import { Link, Outlet, useLoaderData } from 'react-router';
import { useViewerSession } from '../../app/services.tsx';
import { EmptyState } from '../../components/ErrorState.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { ResponsiveImage } from '../../components/ResponsiveImage.tsx';
import { GridSkeleton, RowSkeleton, SkeletonBox } from '../../components/Skeleton.tsx';
import { graphql } from '../../gql/index.ts';
import type { GridTile_PostFragment, ProfileQuery, ProfileQueryVariables } from '../../gql/graphql.ts';
import { compactCount } from '../../lib/format.ts';
import { ProfileHeader } from './ProfileHeader.tsx';
import styles from './profile.module.css';

export const GridTile_post = graphql(`
  fragment GridTile_post on Post {
    id
    likeCount
    commentCount
    media {
      id
      altText
      ...ResponsiveImage_image
    }
  }
`);

/** A square of a post in a grid, its counts shown on hover, a mark when it has several photos. */
export function GridTile({ post, author }: { post: GridTile_PostFragment; author: string | null }) {
  const first = post.media[0];
  return (
    <li className={styles.tileItem}>
      <Link to={`/p/${post.id}`} className={styles.tile}>
        {first ? (
          <ResponsiveImage image={first} sizes="(min-width: 935px) 309px, 33vw" alt={first.altText?.trim() || (author ? `Post by @${author}` : 'Post')} />
        ) : (
          <SkeletonBox width="100%" height="100%" />
        )}
        {post.media.length > 1 && <Copy className={styles.multi} size={18} role="img" aria-label={`${post.media.length} photos`} />}
        <span className={styles.tileStats} aria-hidden="true">
          <span>
            <Heart size={18} fill="currentColor" /> {compactCount(post.likeCount)}
          </span>
          <span>
            <MessageCircle size={18} fill="currentColor" /> {compactCount(post.commentCount)}
          </span>
        </span>
      </Link>
    </li>
  );
}

type Ref = PreloadedQueryRef<ProfileQuery, ProfileQueryVariables>;

function ProfileView({ queryRef }: { queryRef: Ref }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const { user: viewer } = useViewerSession();
  const user = data.user;
  const endCursor = user?.posts.pageInfo.endCursor ?? null;
  const loadMore = useCallback(() => fetchMore({ variables: { after: endCursor } }), [fetchMore, endCursor]);
  if (!user) {
    return (
      <EmptyState icon={<UserX size={36} strokeWidth={1.5} />} title="This account doesn’t exist">
        <p>The link may be broken, or the account may have gone.</p>
        <p>
          <Link to="/search">Search for people</Link>
        </p>
      </EmptyState>
    );
  }
  const own = user.id === viewer.id;
  return (
    <>
      <ProfileHeader user={user} />
      <h2 className={styles.postsHeading}>Posts</h2>
      {user.posts.edges.length === 0 ? (
        <EmptyState icon={<Camera size={36} strokeWidth={1.5} />} title={own ? 'Share photos' : 'No posts yet'}>
          {own && (
            <p>
              When you share photos, they appear on your profile. <Link to="/create">Share your first photo</Link>
            </p>
          )}
        </EmptyState>
      ) : (
        <ul className={styles.grid}>
          {user.posts.edges.map((edge) => (
            <GridTile key={edge.node.id} post={edge.node} author={user.username} />
          ))}
        </ul>
      )}
      <LoadMore hasMore={user.posts.pageInfo.hasNextPage} loadMore={loadMore} skeleton={<GridSkeleton count={3} />} label="Load more posts" />
      {/* The followers and following lists open over the profile. */}
      <Outlet />
    </>
  );
}

function ProfileSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading the profile">
      <div className={styles.header}>
        <div className={styles.picture}>
          <SkeletonBox width={150} height={150} round />
        </div>
        <div className={styles.info}>
          <RowSkeleton count={2} />
        </div>
      </div>
      <GridSkeleton count={6} />
    </div>
  );
}

export function Component() {
  const queryRef = useLoaderData() as Ref;
  return (
    <div className={styles.page}>
      <Suspense fallback={<ProfileSkeleton />}>
        <ProfileView queryRef={queryRef} />
      </Suspense>
    </div>
  );
}
