import type { PreloadedQueryRef } from '@apollo/client/react';
import { useMutation, useQueryRefHandlers, useReadQuery } from '@apollo/client/react';
import { Heart } from 'lucide-react';
import { Suspense, useCallback } from 'react';
import { useLoaderData } from 'react-router';
import { EmptyState } from '../../components/ErrorState.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { RowSkeleton } from '../../components/Skeleton.tsx';
import { useToast } from '../../components/Toasts.tsx';
import { graphql } from '../../gql/index.ts';
import type { NotificationsQuery, NotificationsQueryVariables } from '../../gql/graphql.ts';
import { describeError } from '../../lib/errors.ts';
import { NotificationRow } from './NotificationRow.tsx';
import styles from './notifications.module.css';

const MarkAllRead = graphql(`
  mutation MarkNotificationsRead($upTo: ID) {
    markNotificationsRead(upTo: $upTo)
  }
`);

type Ref = PreloadedQueryRef<NotificationsQuery, NotificationsQueryVariables>;

function List({ queryRef }: { queryRef: Ref }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const toast = useToast();
  const endCursor = data.notifications.pageInfo.endCursor;
  const loadMore = useCallback(() => fetchMore({ variables: { after: endCursor } }), [fetchMore, endCursor]);
  const [markAll, { loading }] = useMutation(MarkAllRead, {
    update(cache) {
      // Every notification in the cache is read now, and the badge goes.
      cache.modify({ fields: { unreadNotificationCount: () => 0 } });
      for (const edge of data.notifications.edges) {
        cache.modify({ id: cache.identify({ __typename: 'Notification', id: edge.node.id }), fields: { read: () => true } });
      }
    },
  });
  const edges = data.notifications.edges;
  const unread = edges.filter((edge) => !edge.node.read);
  const earlier = edges.filter((edge) => edge.node.read);

  if (edges.length === 0) {
    return (
      <EmptyState icon={<Heart size={36} strokeWidth={1.5} />} title="Activity on your posts">
        <p>When someone likes or comments on your posts, or follows you, you’ll see it here.</p>
      </EmptyState>
    );
  }
  return (
    <>
      <div className={styles.toolbar}>
        <span className={styles.count}>{data.unreadNotificationCount > 0 ? `${data.unreadNotificationCount} unread` : 'All caught up'}</span>
        <button
          type="button"
          className={styles.markAll}
          disabled={loading || data.unreadNotificationCount === 0}
          onClick={() => void markAll({ variables: { upTo: null } }).catch((error: unknown) => toast.error(`Couldn’t mark them read: ${describeError(error)}`))}
        >
          Mark all as read
        </button>
      </div>
      {unread.length > 0 && (
        <section aria-labelledby="new-notifications">
          <h2 id="new-notifications" className={styles.section}>
            New
          </h2>
          <ul className={styles.list}>
            {unread.map((edge) => (
              <NotificationRow key={edge.node.id} notification={edge.node} />
            ))}
          </ul>
        </section>
      )}
      {earlier.length > 0 && (
        <section aria-labelledby="earlier-notifications">
          <h2 id="earlier-notifications" className={styles.section}>
            Earlier
          </h2>
          <ul className={styles.list}>
            {earlier.map((edge) => (
              <NotificationRow key={edge.node.id} notification={edge.node} />
            ))}
          </ul>
        </section>
      )}
      <LoadMore hasMore={data.notifications.pageInfo.hasNextPage} loadMore={loadMore} skeleton={<RowSkeleton count={3} />} />
    </>
  );
}

export function Component() {
  const queryRef = useLoaderData() as Ref;
  return (
    <div className={styles.page}>
      <h1 className={styles.title}>Notifications</h1>
      <Suspense fallback={<RowSkeleton count={8} />}>
        <List queryRef={queryRef} />
      </Suspense>
    </div>
  );
}
