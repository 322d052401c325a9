import { useApolloClient } from '@apollo/client/react';
import { useEffect } from 'react';
import { graphql } from '../gql/index.ts';
import { settlePendingPost, type PendingPost } from '../lib/pending-posts.ts';

const ProcessingPostQuery = graphql(`
  query ProcessingPost($id: ID!) {
    post(id: $id) {
      id
      media {
        id
        ...ResponsiveImage_image
      }
    }
  }
`);

/**
 * While a just-shared post is processing, asks for its images every second (the cache updates the
 * card), and settles it once they are all there. Media makes the variants in well under a second
 * a photo, so this rarely asks twice; after two minutes it stops and says nothing more is coming.
 */
export function usePendingPostPoll(postId: string, pending: PendingPost | null) {
  const client = useApolloClient();
  useEffect(() => {
    if (!pending) return;
    let stopped = false;
    const started = Date.now();
    const tick = async () => {
      try {
        const { data } = await client.query({ query: ProcessingPostQuery, variables: { id: postId }, fetchPolicy: 'network-only' });
        if (stopped) return;
        if ((data?.post?.media.length ?? 0) >= pending.imageCount) {
          settlePendingPost(postId);
          return;
        }
      } catch {
        // A failed poll is tried again on the next tick; the card still says "processing".
      }
      if (!stopped && Date.now() - started < 120_000) timer = setTimeout(() => void tick(), 1000);
    };
    let timer = setTimeout(() => void tick(), 600);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, postId, pending]);
}
