import type { PreloadedQueryRef } from '@apollo/client/react';
import { useQueryRefHandlers, useReadQuery } from '@apollo/client/react';
import { Suspense, useCallback } from 'react';
import { useLoaderData, useNavigate, useParams } from 'react-router';
import { Dialog } from '../../components/Dialog.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { RowSkeleton } from '../../components/Skeleton.tsx';
import { UserRow } from '../../components/UserRow.tsx';
import type { FollowersQuery, FollowersQueryVariables, FollowingQuery, FollowingQueryVariables } from '../../gql/graphql.ts';
import styles from './profile.module.css';

type Kind = 'followers' | 'following';
type Connection = NonNullable<FollowersQuery['user']>['followers'];

function People({ kind, connection, fetchMore }: { kind: Kind; connection: Connection | undefined; fetchMore: (after: string | null) => Promise<unknown> }) {
  const endCursor = connection?.pageInfo.endCursor ?? null;
  const loadMore = useCallback(() => fetchMore(endCursor), [fetchMore, endCursor]);
  if (!connection) return <p className={styles.listEmpty}>This account doesn’t exist.</p>;
  if (connection.edges.length === 0) {
    return <p className={styles.listEmpty}>{kind === 'followers' ? 'No followers yet.' : 'Not following anyone yet.'}</p>;
  }
  return (
    <>
      <ul className={styles.list}>
        {connection.edges.map((edge) => (
          <UserRow key={edge.node.id} user={edge.node} />
        ))}
      </ul>
      <LoadMore hasMore={connection.pageInfo.hasNextPage} loadMore={loadMore} skeleton={<RowSkeleton count={3} />} />
    </>
  );
}

function FollowersList({ queryRef }: { queryRef: PreloadedQueryRef<FollowersQuery, FollowersQueryVariables> }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const more = useCallback((after: string | null) => fetchMore({ variables: { after } }), [fetchMore]);
  return <People kind="followers" connection={data.user?.followers} fetchMore={more} />;
}

function FollowingList({ queryRef }: { queryRef: PreloadedQueryRef<FollowingQuery, FollowingQueryVariables> }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const more = useCallback((after: string | null) => fetchMore({ variables: { after } }), [fetchMore]);
  return <People kind="following" connection={data.user?.following} fetchMore={more} />;
}

/** The followers or following of a profile, paged, over the profile (its URL can be shared). */
function FollowDialog({ kind, children }: { kind: Kind; children: React.ReactNode }) {
  const { username = '' } = useParams();
  const navigate = useNavigate();
  return (
    <Dialog title={kind === 'followers' ? 'Followers' : 'Following'} onClose={() => void navigate(`/u/${username}`, { replace: true })}>
      <Suspense fallback={<RowSkeleton count={5} />}>{children}</Suspense>
    </Dialog>
  );
}

export function Followers() {
  const queryRef = useLoaderData() as PreloadedQueryRef<FollowersQuery, FollowersQueryVariables>;
  return (
    <FollowDialog kind="followers">
      <FollowersList queryRef={queryRef} />
    </FollowDialog>
  );
}

export function Following() {
  const queryRef = useLoaderData() as PreloadedQueryRef<FollowingQuery, FollowingQueryVariables>;
  return (
    <FollowDialog kind="following">
      <FollowingList queryRef={queryRef} />
    </FollowDialog>
  );
}
