import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.ts';

/** Follows through the gateway: users and social-graph answer one query together. */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const PROFILE = `query($username: String!) {
  user(username: $username) {
    id username followerCount followingCount viewerIsFollowing followsViewer
    followers(first: 10) { edges { node { username followerCount } } pageInfo { hasNextPage } }
    following(first: 10) { edges { node { username } } }
  }
}`;

describe('following through the gateway', () => {
  it('A follows B: lists, counts and flags agree; unfollow reverses it; repeats change nothing', async () => {
    const a = await stack.signUp('alice_sg');
    const b = await stack.signUp('bob_sg');
    const follow = () => stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { username followerCount viewerIsFollowing } }', variables: { id: b.id }, token: a.token });
    const unfollow = () => stack.query({ query: 'mutation($id: ID!) { unfollow(userId: $id) { username followerCount viewerIsFollowing } }', variables: { id: b.id }, token: a.token });

    expect((await follow()).data).toEqual({ follow: { username: 'bob_sg', followerCount: 1, viewerIsFollowing: true } });
    expect((await follow()).data).toEqual({ follow: { username: 'bob_sg', followerCount: 1, viewerIsFollowing: true } });

    const bSeenByA = await stack.query({ query: PROFILE, variables: { username: 'bob_sg' }, token: a.token });
    expect(bSeenByA.errors).toBeUndefined();
    expect(bSeenByA.data!.user).toEqual({
      id: b.id,
      username: 'bob_sg',
      followerCount: 1,
      followingCount: 0,
      viewerIsFollowing: true,
      followsViewer: false,
      followers: { edges: [{ node: { username: 'alice_sg', followerCount: 0 } }], pageInfo: { hasNextPage: false } },
      following: { edges: [] },
    });
    const aSeenByB = await stack.query({ query: PROFILE, variables: { username: 'alice_sg' }, token: b.token });
    expect(aSeenByB.data!.user).toMatchObject({ followingCount: 1, viewerIsFollowing: false, followsViewer: true, following: { edges: [{ node: { username: 'bob_sg' } }] } });
    const anonymous = await stack.query({ query: PROFILE, variables: { username: 'bob_sg' } });
    expect(anonymous.data!.user).toMatchObject({ followerCount: 1, viewerIsFollowing: false, followsViewer: false });

    expect((await unfollow()).data).toEqual({ unfollow: { username: 'bob_sg', followerCount: 0, viewerIsFollowing: false } });
    expect((await unfollow()).data).toEqual({ unfollow: { username: 'bob_sg', followerCount: 0, viewerIsFollowing: false } });
    const after = await stack.query({ query: PROFILE, variables: { username: 'bob_sg' }, token: a.token });
    expect(after.data!.user).toMatchObject({ followerCount: 0, followers: { edges: [] } });
    const aAfter = await stack.query({ query: PROFILE, variables: { username: 'alice_sg' }, token: a.token });
    expect(aAfter.data!.user).toMatchObject({ followingCount: 0, following: { edges: [] } });
  });

  it("pages a user's followers to the end through the gateway", async () => {
    const star = await stack.signUp('star_sg');
    const fans = [];
    for (let i = 0; i < 25; i++) fans.push(await stack.signUp(`fan_sg_${i}`));
    for (const fan of fans) {
      await stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: star.id }, token: fan.token });
    }
    const names: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const result: any = await stack.query({
        query: 'query($id: ID!, $after: String) { user(id: $id) { followers(first: 10, after: $after) { edges { node { username } } pageInfo { hasNextPage endCursor } } } }',
        variables: { id: star.id, after },
      });
      const connection = result.data.user.followers;
      names.push(...connection.edges.map((e: { node: { username: string } }) => e.node.username));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(names).toEqual(fans.map((_, i) => `fan_sg_${i}`).reverse());
  });

  it('answers bad ids, oneself and anonymous callers with the contract codes', async () => {
    const me = await stack.signUp('carol_sg');
    const follow = (id: string, token?: string) => stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id }, token });
    expect((await follow(me.id, me.token)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await follow('01900000-0000-7000-8000-000000000000', me.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await follow('garbage', me.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await follow(me.id)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const badPage = await stack.query({ query: 'query($id: ID!) { user(id: $id) { followers(first: 500) { edges { cursor } } } }', variables: { id: me.id } });
    expect(badPage.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
