import { describe, expect, it } from 'vitest';
import { hydrationPlan, isViewerField, merge, ShapeMismatch } from '../src/live/shared-hydration.ts';

const QUERY = `query SubscriptionEvent($__eventId: ID!, $n: Int!, $withLikes: Boolean!) {
  landed: post(id: $__eventId) { id ...P viewerHasLiked @include(if: $withLikes) }
}
fragment P on Post { caption author { followsViewer username posts(first: $n) { edges { cursor } } } }`;

const squash = (text: string | null) => text?.replace(/\s+/g, ' ').trim();

describe('hydrationPlan', () => {
  it("splits the viewer's fields from the rest, each part declaring only the variables it uses", () => {
    const plan = hydrationPlan(QUERY, () => true);
    expect(squash(plan.shared)).toBe(
      'query SubscriptionEvent($__eventId: ID!, $n: Int!) { landed: post(id: $__eventId) { id ... on Post { caption author { username posts(first: $n) { edges { cursor } } } } } }',
    );
    expect(squash(plan.viewer)).toBe(
      'query SubscriptionEvent($__eventId: ID!, $withLikes: Boolean!) { landed: post(id: $__eventId) { ... on Post { author { followsViewer } } viewerHasLiked @include(if: $withLikes) } }',
    );
  });

  it('shares everything when no field is the viewer’s, and nothing when a part would not validate', () => {
    const plain = hydrationPlan('query SubscriptionEvent($__eventId: ID!) { p: post(id: $__eventId) { id caption } }', () => true);
    expect(plain.viewer).toBeNull();
    expect(squash(plain.shared)).toBe('query SubscriptionEvent($__eventId: ID!) { p: post(id: $__eventId) { id caption } }');
    expect(hydrationPlan(QUERY, () => false)).toMatchObject({ shared: null, viewer: null });
  });

  it('knows the viewer fields by the contract’s names', () => {
    expect(['viewerHasLiked', 'viewerIsFollowing', 'followsViewer'].every(isViewerField)).toBe(true);
    expect(['viewer', 'reviewers', 'caption', 'followerCount'].some(isViewerField)).toBe(false);
  });
});

describe('merge', () => {
  const { selection } = hydrationPlan(QUERY, () => true);
  const shared = { landed: { id: 'p1', caption: 'c', author: { username: 'u', posts: { edges: [{ cursor: 'a' }] } } } };

  it("puts the viewer's fields in, in the order of the client's selection", () => {
    const merged = merge([selection], shared, { landed: { author: { followsViewer: true }, viewerHasLiked: false } });
    expect(JSON.stringify(merged)).toBe(
      JSON.stringify({ landed: { id: 'p1', caption: 'c', author: { followsViewer: true, username: 'u', posts: { edges: [{ cursor: 'a' }] } }, viewerHasLiked: false } }),
    );
  });

  it('refuses answers of different shapes: an object one of them does not see, lists of different lengths', () => {
    expect(() => merge([selection], shared, { landed: null })).toThrow(ShapeMismatch);
    expect(() => merge([selection], { landed: { author: { posts: { edges: [] } } } }, { landed: { author: { posts: { edges: [{}] } } } })).toThrow(ShapeMismatch);
  });
});
