import type { PreloadedQueryRef } from '@apollo/client/react';
import { useQueryRefHandlers, useReadQuery } from '@apollo/client/react';
import { Hash } from 'lucide-react';
import { Suspense, useCallback } from 'react';
import { useLoaderData, useParams } from 'react-router';
import { EmptyState } from '../../components/ErrorState.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { GridSkeleton } from '../../components/Skeleton.tsx';
import type { HashtagQuery, HashtagQueryVariables } from '../../gql/graphql.ts';
import { GridTile } from '../profile/profile.tsx';
import profileStyles from '../profile/profile.module.css';
import styles from './search.module.css';

type Ref = PreloadedQueryRef<HashtagQuery, HashtagQueryVariables>;

function Posts({ queryRef, tag }: { queryRef: Ref; tag: string }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const endCursor = data.postsByHashtag.pageInfo.endCursor;
  const loadMore = useCallback(() => fetchMore({ variables: { after: endCursor } }), [fetchMore, endCursor]);
  const edges = data.postsByHashtag.edges;
  if (edges.length === 0) {
    return (
      <EmptyState icon={<Hash size={36} strokeWidth={1.5} />} title="No posts yet">
        <p>Be the first to share a photo with #{tag}.</p>
      </EmptyState>
    );
  }
  return (
    <>
      <ul className={profileStyles.grid}>
        {edges.map((edge) => (
          <GridTile key={edge.node.id} post={edge.node} author={edge.node.author.username} />
        ))}
      </ul>
      <LoadMore hasMore={data.postsByHashtag.pageInfo.hasNextPage} loadMore={loadMore} skeleton={<GridSkeleton count={3} />} label="Load more posts" />
    </>
  );
}

export function Component() {
  const queryRef = useLoaderData() as Ref;
  const { tag = '' } = useParams();
  return (
    <div className={profileStyles.page}>
      <header className={styles.tagHeader}>
        <span className={styles.tagBadge} aria-hidden="true">
          <Hash size={44} strokeWidth={1.5} />
        </span>
        <h1 className={styles.tagTitle}>#{tag}</h1>
      </header>
      <Suspense fallback={<GridSkeleton count={9} />}>
        <Posts queryRef={queryRef} tag={tag} />
      </Suspense>
    </div>
  );
}
