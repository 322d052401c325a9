import type { PreloadedQueryRef } from '@apollo/client/react';
import { useApolloClient, useQuery, useQueryRefHandlers, useReadQuery, useSubscription } from '@apollo/client/react';
import { ArrowUp, Camera } from 'lucide-react';
import { Suspense, useCallback, useState } from 'react';
import { Link, useLoaderData } from 'react-router';
import { ViewerQuery } from '../../app/AppShell.tsx';
import { Avatar } from '../../components/Avatar.tsx';
import { EmptyState } from '../../components/ErrorState.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { PostCard } from '../../components/PostCard.tsx';
import { FeedSkeleton, PostSkeleton } from '../../components/Skeleton.tsx';
import { graphql } from '../../gql/index.ts';
import type { FeedPostAddedSubscription, FeedQuery, FeedQueryVariables } from '../../gql/graphql.ts';
import { prependToConnection } from '../../lib/cache.ts';
import { Suggestions } from './Suggestions.tsx';
import styles from './feed.module.css';
import { FEED_PAGE } from './queries.ts';

const FeedPostAdded = graphql(`
  subscription FeedPostAdded {
    feedPostAdded {
      id
      ...PostCard_post
    }
  }
`);

type NewPost = FeedPostAddedSubscription['feedPostAdded'];

/**
 * Posts landing in the feed while it is open wait behind a "New posts" pill: the list never moves
 * under the reader. A tap on the pill puts them on top and scrolls there.
 */
function useNewPosts(shownIds: ReadonlySet<string>) {
  const client = useApolloClient();
  const [waiting, setWaiting] = useState<NewPost[]>([]);
  useSubscription(FeedPostAdded, {
    onData: ({ data }) => {
      const post = data.data?.feedPostAdded;
      if (!post) return;
      setWaiting((list) => (list.some((p) => p.id === post.id) ? list : [post, ...list]));
    },
  });
  const fresh = waiting.filter((post) => !shownIds.has(post.id));
  const show = useCallback(() => {
    const posts = waiting.filter((post) => !shownIds.has(post.id));
    // Oldest first, each on top: the newest ends up first.
    for (const post of [...posts].reverse()) {
      const ref = client.cache.identify({ __typename: 'Post', id: post.id });
      if (ref) prependToConnection(client.cache, 'feed', { __ref: ref }, 'PostEdge');
    }
    setWaiting([]);
    window.scrollTo({ top: 0, behavior: 'smooth' });
  }, [client, waiting, shownIds]);
  return { fresh, show };
}

function FeedList({ queryRef }: { queryRef: PreloadedQueryRef<FeedQuery, FeedQueryVariables> }) {
  const { fetchMore } = useQueryRefHandlers(queryRef);
  const { data } = useReadQuery(queryRef);
  const edges = data.feed.edges;
  const shownIds = new Set(edges.map((edge) => edge.node.id));
  const { fresh, show } = useNewPosts(shownIds);
  const loadMore = useCallback(
    () => fetchMore({ variables: { first: FEED_PAGE, after: data.feed.pageInfo.endCursor } }),
    [fetchMore, data.feed.pageInfo.endCursor],
  );

  if (edges.length === 0 && fresh.length === 0) {
    return (
      <>
        <EmptyState icon={<Camera size={36} strokeWidth={1.5} />} title="Welcome to Shutter">
          <p>When you follow people, their photos show up here. Share your own, or find someone to follow.</p>
          <p className={styles.emptyLinks}>
            <Link to="/create">Share a photo</Link> · <Link to="/search">Search for people</Link>
          </p>
        </EmptyState>
        <Suspense fallback={null}>
          <Suggestions />
        </Suspense>
      </>
    );
  }

  return (
    <>
      {fresh.length > 0 && (
        <button type="button" className={styles.pill} onClick={show}>
          <ArrowUp size={16} aria-hidden="true" />
          <span className={styles.pillAvatars} aria-hidden="true">
            {fresh.slice(0, 3).map((post) => (
              <Avatar key={post.id} user={post.author} size={22} />
            ))}
          </span>
          {fresh.length === 1 ? 'New post' : `${fresh.length} new posts`}
        </button>
      )}
      <div className={styles.list}>
        {edges.map((edge, i) => (
          <PostCard key={edge.node.id} post={edge.node} priority={i < 2} />
        ))}
      </div>
      <LoadMore hasMore={data.feed.pageInfo.hasNextPage} loadMore={loadMore} skeleton={<PostSkeleton />} label="Load more posts" />
      {!data.feed.pageInfo.hasNextPage && edges.length > 0 && <p className={styles.end}>You’re all caught up.</p>}
    </>
  );
}

/** Beside the feed on a wide screen: who is signed in, and people to follow. */
function Aside() {
  const { data } = useQuery(ViewerQuery, { fetchPolicy: 'cache-first' });
  const me = data?.me;
  return (
    <aside className={styles.aside} aria-label="You and people to follow">
      {me && (
        <Link to={`/u/${me.username}`} className={styles.me}>
          <Avatar user={me} size={44} />
          <span className={styles.meNames}>
            <strong>{me.username}</strong>
            {me.displayName && <span>{me.displayName}</span>}
          </span>
        </Link>
      )}
      <Suspense fallback={null}>
        <Suggestions limit={5} compact />
      </Suspense>
      <p className={styles.footer}>
        Shutter · <a href="/explorer">GraphQL explorer</a>
      </p>
    </aside>
  );
}

export function Component() {
  const queryRef = useLoaderData() as PreloadedQueryRef<FeedQuery, FeedQueryVariables>;
  return (
    <div className={styles.page}>
      <div className={styles.feed}>
        <h1 className="visually-hidden">Home</h1>
        <Suspense fallback={<FeedSkeleton count={2} />}>
          <FeedList queryRef={queryRef} />
        </Suspense>
      </div>
      <Aside />
    </div>
  );
}
