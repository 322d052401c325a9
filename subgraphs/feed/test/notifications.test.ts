import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@shutter/db';
import { applyFollow } from '../src/jobs/follow-created.ts';
import { fanOutPost } from '../src/jobs/post-created.ts';
import { notifyComment } from '../src/jobs/comment-added.ts';
import { notifyLike } from '../src/jobs/post-liked.ts';
import { removePost } from '../src/jobs/post-deleted.ts';
import { startFeedHarness, type FeedHarness } from './harness.ts';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness();
}, 60_000);
afterAll(async () => h?.close());

const LIST = `query($first: Int, $after: String) {
  notifications(first: $first, after: $after) {
    edges { cursor node { id kind actor { id } post { id } comment { id } read createdAt } }
    pageInfo { hasNextPage endCursor }
  }
  unreadNotificationCount
}`;

const now = () => new Date().toISOString();

describe('notifications', () => {
  it('notifies FOLLOW, LIKE, COMMENT and NEW_POST once each, never oneself, newest first', async () => {
    const [author, fan] = [newId(), newId()];
    await h.follow([fan], author);
    await applyFollow(h.deps, { followerId: fan, followeeId: author, createdAt: now() });
    const post = await h.post(author);
    const liked = { postId: post.postId, postAuthorId: author, likerId: fan, likedAt: now() };
    await notifyLike(h.deps, liked);
    await notifyLike(h.deps, liked); // the same event again
    await notifyLike(h.deps, { ...liked, likedAt: now() }); // a like, unlike and like again
    await notifyLike(h.deps, { ...liked, likerId: author }); // liking one's own post
    const commentId = newId();
    await notifyComment(h.deps, { commentId, postId: post.postId, postAuthorId: author, authorId: fan, createdAt: now() });
    await fanOutPost(h.deps, post); // NEW_POST goes to the fan, not to the author

    const mine = await h.call(LIST, {}, author);
    expect(mine.errors).toBeUndefined();
    const kinds = mine.data!.notifications.edges.map((e: any) => e.node.kind);
    expect(kinds).toEqual(['COMMENT', 'LIKE', 'FOLLOW']);
    const [comment, like, follow] = mine.data!.notifications.edges.map((e: any) => e.node);
    expect(comment).toMatchObject({ actor: { id: fan }, post: { id: post.postId }, comment: { id: commentId }, read: false });
    expect(like).toMatchObject({ actor: { id: fan }, post: { id: post.postId }, comment: null });
    expect(follow).toMatchObject({ actor: { id: fan }, post: null });
    expect(mine.data!.unreadNotificationCount).toBe(3);

    const theirs = await h.call(LIST, {}, fan);
    expect(theirs.data!.notifications.edges.map((e: any) => e.node.kind)).toEqual(['NEW_POST']);

    // Each stored notification queued exactly one push.
    const queued = await h.database.sql`
      select n->>'recipientId' as recipient from outbox, jsonb_array_elements(payload->'notifications') as n
      where event = 'notification.created'`;
    expect(queued.filter((r) => r.recipient === author)).toHaveLength(3);
  });

  it('pages by cursor, marks read up to one or all, and counts what changed', async () => {
    const me = newId();
    for (let i = 0; i < 5; i++) await notifyLike(h.deps, { postId: newId(), postAuthorId: me, likerId: newId(), likedAt: now() });
    const first = await h.call(LIST, { first: 2 }, me);
    const second = await h.call(LIST, { first: 2, after: first.data!.notifications.pageInfo.endCursor }, me);
    const third = await h.call(LIST, { first: 2, after: second.data!.notifications.pageInfo.endCursor }, me);
    const all = [first, second, third].flatMap((r) => r.data!.notifications.edges.map((e: any) => e.node.id));
    expect(new Set(all).size).toBe(5);
    expect([...all].sort().reverse()).toEqual(all);
    expect(third.data!.notifications.pageInfo.hasNextPage).toBe(false);

    // Up to an id: that one and every older one.
    const upTo = all[2];
    const marked = await h.call('mutation($upTo: ID) { markNotificationsRead(upTo: $upTo) }', { upTo }, me);
    expect(marked.data!.markNotificationsRead).toBe(3);
    const after = await h.call(LIST, {}, me);
    expect(after.data!.notifications.edges.map((e: any) => e.node.read)).toEqual([false, false, true, true, true]);
    expect(after.data!.unreadNotificationCount).toBe(2);
    expect((await h.call('mutation { markNotificationsRead }', {}, me)).data!.markNotificationsRead).toBe(2);
    expect((await h.call('mutation { markNotificationsRead }', {}, me)).data!.markNotificationsRead).toBe(0);
    // Someone else's marks touch nothing of mine.
    expect((await h.call('mutation { markNotificationsRead }', {}, newId())).data!.markNotificationsRead).toBe(0);
  });

  it("removes a deleted post's notifications; one notification is readable by its recipient only", async () => {
    const [author, fan] = [newId(), newId()];
    const post = await h.post(author);
    await notifyLike(h.deps, { postId: post.postId, postAuthorId: author, likerId: fan, likedAt: now() });
    const list = await h.call(LIST, {}, author);
    const id = list.data!.notifications.edges[0].node.id as string;
    const one = 'query($id: ID!) { notification(id: $id) { id kind } }';
    expect((await h.call(one, { id }, author)).data!.notification).toEqual({ id, kind: 'LIKE' });
    expect((await h.call(one, { id }, fan)).data!.notification).toBeNull();

    await removePost(h.deps, { postId: post.postId, authorId: author });
    expect((await h.call(LIST, {}, author)).data!.notifications.edges).toEqual([]);
  });

  it('answers bad input with the contract codes', async () => {
    expect((await h.call(LIST, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await h.call('{ unreadNotificationCount }', {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await h.call(LIST, { first: 0 }, newId())).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await h.call(LIST, { after: 'x' }, newId())).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const bad = await h.call('mutation { markNotificationsRead(upTo: "nope") }', {}, newId());
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
