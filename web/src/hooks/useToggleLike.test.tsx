import { ApolloClient, ApolloLink, InMemoryCache, type FetchResult } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { act, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ToastProvider } from '../components/Toasts.tsx';
import type { LikeButton_PostFragment } from '../gql/graphql.ts';
import { typePolicies } from '../lib/type-policies.ts';
import { LikeButton_post, useToggleLike } from './useToggleLike.ts';

/** A link whose answers the test gives, one Subject per operation, in order. */
function controlledLink() {
  const pending: { name: string; answer: Subject<FetchResult> }[] = [];
  const link = new ApolloLink(
    (operation) =>
      new Observable<FetchResult>((observer) => {
        const answer = new Subject<FetchResult>();
        pending.push({ name: operation.operationName ?? '', answer });
        const subscription = answer.subscribe(observer);
        return () => subscription.unsubscribe();
      }),
  );
  return { link, pending };
}

function setup() {
  const { link, pending } = controlledLink();
  const client = new ApolloClient({ link, cache: new InMemoryCache({ typePolicies }) });
  const post: LikeButton_PostFragment = { __typename: 'Post', id: 'p1', viewerHasLiked: false, likeCount: 41 };
  client.cache.writeFragment({ fragment: LikeButton_post, data: post });
  // What the screen shows: the optimistic layer included.
  const read = () => client.cache.readFragment({ fragment: LikeButton_post, id: 'Post:p1', optimistic: true });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ApolloProvider client={client}>
      <ToastProvider>{children}</ToastProvider>
    </ApolloProvider>
  );
  return { client, pending, post, read, wrapper };
}

describe('the optimistic like', () => {
  it('shows the like at once, and keeps it when the server agrees', async () => {
    const { pending, post, read, wrapper } = setup();
    const { result } = renderHook(() => useToggleLike(), { wrapper });
    let done!: Promise<void>;
    act(() => {
      done = result.current(post);
    });
    // Before any answer: liked, one more.
    expect(read()).toMatchObject({ viewerHasLiked: true, likeCount: 42 });
    await waitFor(() => expect(pending).toHaveLength(1));
    expect(pending[0]!.name).toBe('LikePost');
    act(() => {
      pending[0]!.answer.next({ data: { __typename: 'Mutation', likePost: { __typename: 'Post', id: 'p1', viewerHasLiked: true, likeCount: 43 } } });
      pending[0]!.answer.complete();
    });
    await act(() => done);
    // The server's count (someone else liked it meanwhile) replaces the guess.
    expect(read()).toMatchObject({ viewerHasLiked: true, likeCount: 43 });
  });

  it('rolls back and says why when the server refuses', async () => {
    const { pending, post, read, wrapper } = setup();
    const { result } = renderHook(() => useToggleLike(), { wrapper });
    let done!: Promise<void>;
    act(() => {
      done = result.current(post);
    });
    expect(read()).toMatchObject({ viewerHasLiked: true, likeCount: 42 });
    await waitFor(() => expect(pending).toHaveLength(1));
    act(() => {
      pending[0]!.answer.next({ data: null, errors: [{ message: 'No such post.', extensions: { code: 'NOT_FOUND' } }] });
      pending[0]!.answer.complete();
    });
    await act(() => done);
    expect(read()).toMatchObject({ viewerHasLiked: false, likeCount: 41 });
    expect(await screen.findByText('Couldn’t like the post: No such post.')).toBeTruthy();
  });

  it('rolls back an unlike the network lost', async () => {
    const { client, pending, read, wrapper } = setup();
    const liked: LikeButton_PostFragment = { __typename: 'Post', id: 'p1', viewerHasLiked: true, likeCount: 41 };
    client.cache.writeFragment({ fragment: LikeButton_post, data: liked });
    const { result } = renderHook(() => useToggleLike(), { wrapper });
    let done!: Promise<void>;
    act(() => {
      done = result.current(liked);
    });
    expect(read()).toMatchObject({ viewerHasLiked: false, likeCount: 40 });
    await waitFor(() => expect(pending).toHaveLength(1));
    expect(pending[0]!.name).toBe('UnlikePost');
    act(() => pending[0]!.answer.error(new TypeError('Failed to fetch')));
    await act(() => done);
    expect(read()).toMatchObject({ viewerHasLiked: true, likeCount: 41 });
    expect(await screen.findByText(/Couldn’t remove your like: Shutter can’t be reached/)).toBeTruthy();
  });

  it('does nothing when the post already is as asked (a second double-tap)', async () => {
    const { pending, read, wrapper } = setup();
    const liked: LikeButton_PostFragment = { __typename: 'Post', id: 'p1', viewerHasLiked: true, likeCount: 41 };
    const { result } = renderHook(() => useToggleLike(), { wrapper });
    await act(() => result.current(liked, true));
    expect(pending).toHaveLength(0);
    expect(read()).toMatchObject({ viewerHasLiked: false, likeCount: 41 });
  });
});
