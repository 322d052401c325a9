import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.ts';

/**
 * A subgraph down: the gateway answers with what the others give, and an error whose code says
 * which part is unavailable (SERVICE_UNAVAILABLE, `service`), never a bare INTERNAL_SERVER_ERROR.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('with social-graph down', () => {
  it('answers users and media fields, names social-graph for its own, and reports itself degraded', async () => {
    const ada = await stack.signUp('ada_partial');
    await stack.createPhotoPost(ada.token, 'still here');
    await stack.socialGraph.close();

    const withoutCounts = await stack.query({ query: '{ user(username: "ada_partial") { username posts(first: 3) { edges { node { caption } } } } }' });
    expect(withoutCounts.errors).toBeUndefined();
    expect(withoutCounts.data).toEqual({ user: { username: 'ada_partial', posts: { edges: [{ node: { caption: 'still here' } }] } } });

    const withCounts = await stack.query({ query: '{ user(username: "ada_partial") { username followerCount posts(first: 3) { edges { node { caption } } } } }' });
    // followerCount is Int! in the contract, so its absence nulls the user (README, "Errors").
    expect(withCounts.data).toEqual({ user: null });
    expect(withCounts.errors).toHaveLength(1);
    expect(withCounts.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'social-graph' });
    expect(withCounts.errors![0]!.message).toMatch(/social-graph is unavailable/);

    const follow = await stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: ada.id }, token: ada.token });
    expect(follow.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'social-graph' });

    const ready = await fetch(new URL('/readyz', stack.url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', dependencies: { 'social-graph': { status: 'down' }, users: { status: 'up' }, media: { status: 'up' } } });
  });
});
