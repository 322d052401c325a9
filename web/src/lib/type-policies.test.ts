import { InMemoryCache } from '@apollo/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FeedDocument } from '../routes/feed/queries.ts';
import type { FeedQuery, PostCard_PostFragment } from '../gql/graphql.ts';
import { addPendingPost } from './pending-posts.ts';
import { typePolicies } from './type-policies.ts';

/** A post as the Feed query selects it. */
function post(id: string): PostCard_PostFragment {
  return {
    __typename: 'Post',
    id,
    caption: `post ${id}`,
    hashtags: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    commentCount: 0,
    likeCount: 0,
    viewerHasLiked: false,
    author: { __typename: 'User', id: 'u1', username: 'ada', avatar: null },
    media: [],
  };
}

function page(ids: string[], hasNextPage: boolean): FeedQuery {
  return {
    __typename: 'Query',
    feed: {
      __typename: 'PostConnection',
      edges: ids.map((id) => ({ __typename: 'PostEdge', cursor: `c-${id}`, node: post(id) })),
      pageInfo: { __typename: 'PageInfo', hasNextPage, endCursor: ids.length ? `c-${ids[ids.length - 1]}` : null },
    },
  };
}

const ids = (data: FeedQuery | null) => data?.feed.edges.map((edge) => edge.node.id);

describe('the feed connection in the cache', () => {
  afterEach(() => vi.useRealTimers());

  it('appends a page fetched after the end, and reads as one list with the last page’s pageInfo', () => {
    const cache = new InMemoryCache({ typePolicies });
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['p1', 'p2'], true) });
    cache.writeQuery({ query: FeedDocument, variables: { first: 2, after: 'c-p2' }, data: page(['p3', 'p4'], false) });
    const read = cache.readQuery({ query: FeedDocument, variables: { first: 2 } });
    expect(ids(read)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(read?.feed.pageInfo).toMatchObject({ hasNextPage: false, endCursor: 'c-p4' });
  });

  it('replaces the list with a fresh first page (a refetch), instead of piling pages up', () => {
    const cache = new InMemoryCache({ typePolicies });
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['p1', 'p2'], true) });
    cache.writeQuery({ query: FeedDocument, variables: { first: 2, after: 'c-p2' }, data: page(['p3'], false) });
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['p0', 'p1'], true) });
    expect(ids(cache.readQuery({ query: FeedDocument, variables: { first: 2 } }))).toEqual(['p0', 'p1']);
  });

  it('keeps each post once when a page repeats one already shown (a live post, then the page that has it)', () => {
    const cache = new InMemoryCache({ typePolicies });
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['p1', 'p2'], true) });
    // p2 comes again on the next page: the list must not show it twice.
    cache.writeQuery({ query: FeedDocument, variables: { first: 2, after: 'c-p2' }, data: page(['p2', 'p3'], false) });
    expect(ids(cache.readQuery({ query: FeedDocument, variables: { first: 2 } }))).toEqual(['p1', 'p2', 'p3']);
  });

  it('keeps a post just shared in this tab on top of a first page that does not have it yet, for two minutes', () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00Z') });
    const cache = new InMemoryCache({ typePolicies });
    // The composer put the new post on top of the feed and marked it shared.
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['mine'], false) });
    addPendingPost('mine', { imageCount: 1, previews: [] });
    // A refetch before media has published it: the server's first page lacks it.
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['p1', 'p2'], true) });
    expect(ids(cache.readQuery({ query: FeedDocument, variables: { first: 2 } }))).toEqual(['mine', 'p1', 'p2']);
    // Once published it comes from the server too, and is still shown once.
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['mine', 'p1'], true) });
    expect(ids(cache.readQuery({ query: FeedDocument, variables: { first: 2 } }))).toEqual(['mine', 'p1']);
    vi.setSystemTime(new Date('2026-01-01T10:02:01Z'));
    cache.writeQuery({ query: FeedDocument, variables: { first: 2 }, data: page(['p1', 'p2'], true) });
    expect(ids(cache.readQuery({ query: FeedDocument, variables: { first: 2 } }))).toEqual(['p1', 'p2']);
  });

  it('drops a deleted post from the list (an evicted node)', () => {
    const cache = new InMemoryCache({ typePolicies });
    cache.writeQuery({ query: FeedDocument, variables: { first: 3 }, data: page(['p1', 'p2', 'p3'], false) });
    cache.evict({ id: cache.identify({ __typename: 'Post', id: 'p2' }) });
    cache.gc();
    expect(ids(cache.readQuery({ query: FeedDocument, variables: { first: 3 } }))).toEqual(['p1', 'p3']);
  });
});
