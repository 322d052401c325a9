import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@shutter/db';
import { applyFollow } from '../src/jobs/follow-created.ts';
import { applyUnfollow } from '../src/jobs/follow-deleted.ts';
import { fanOutPost } from '../src/jobs/post-created.ts';
import { removePost } from '../src/jobs/post-deleted.ts';
import { startFeedHarness, type FeedHarness } from './harness.ts';

let h: FeedHarness;
beforeAll(async () => {
  // A low threshold, so a celebrity takes three followers rather than ten thousand.
  h = await startFeedHarness({ env: { CELEBRITY_FOLLOWER_THRESHOLD: '2' } });
}, 60_000);
afterAll(async () => h?.close());

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

/** A reader who follows two ordinary authors, with posts from both and their own, fanned out. */
async function readerWithPosts() {
  const [reader, alice, bob] = [newId(), newId(), newId()];
  await h.follow([reader], alice);
  await h.follow([reader], bob);
  await h.buildTimelines([reader]);
  const posts = [
    await h.post(alice, minutesAgo(50)),
    await h.post(bob, minutesAgo(40)),
    await h.post(reader, minutesAgo(30)),
    await h.post(alice, minutesAgo(20)),
    await h.post(bob, minutesAgo(10)),
  ];
  for (const post of posts) await fanOutPost(h.deps, post);
  return { reader, alice, bob, newestFirst: posts.map((p) => p.postId).reverse() };
}

describe('feed', () => {
  it("shows the viewer's and their followees' posts, newest first, in stable pages", async () => {
    const { reader, alice, newestFirst } = await readerWithPosts();
    const first = await h.feedIds(reader, 2);
    expect(first.ids).toEqual(newestFirst.slice(0, 2));
    expect(first.hasNextPage).toBe(true);

    // A new post arrives on top between two pages: the next page still continues where the first ended.
    await fanOutPost(h.deps, await h.post(alice));
    const second = await h.feedIds(reader, 2, first.endCursor);
    expect(second.ids).toEqual(newestFirst.slice(2, 4));
    const third = await h.feedIds(reader, 2, second.endCursor);
    expect(third.ids).toEqual(newestFirst.slice(4));
    expect(third.hasNextPage).toBe(false);
  });

  it('rebuilds a timeline lost with Redis from feed_posts and the follow list, on the first read', async () => {
    const { reader, newestFirst } = await readerWithPosts();
    await h.flushRedis();
    expect(await h.deps.timelines.isBuilt(reader)).toBe(false);
    expect((await h.feedIds(reader)).ids).toEqual(newestFirst);
    expect(await h.deps.timelines.isBuilt(reader)).toBe(true);
  });

  it('merges in the posts of a celebrity the viewer follows, in order, across pages', async () => {
    const { reader, newestFirst } = await readerWithPosts();
    const star = newId();
    await h.follow([reader, newId(), newId()], star); // three followers: above the threshold of two
    const starPosts = [await h.post(star, minutesAgo(45)), await h.post(star, minutesAgo(15)), await h.post(star, minutesAgo(5))];
    for (const post of starPosts) {
      expect(await fanOutPost(h.deps, post)).toMatchObject({ celebrity: true, notified: 0 });
      expect(await h.redis.zscore(h.deps.timelines.key(reader), post.postId)).toBeNull();
    }
    // Recorded in one place, Postgres; what the reader's read made of it in Redis is derived.
    expect((await h.database.sql`select 1 from celebrities where user_id = ${star}`).length).toBe(1);
    const [s45, s15, s5] = starPosts.map((p) => p.postId);
    const [b10, a20, r30, b40, a50] = newestFirst;
    const expected = [s5, b10, s15, a20, r30, b40, s45, a50];

    const pages: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<FeedHarness['feedIds']>> = await h.feedIds(reader, 3, after);
      pages.push(...page.ids);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(pages).toEqual(expected);
  });

  it("keeps showing a celebrity's earlier posts after they drop below the threshold", async () => {
    const reader = newId();
    const star = newId();
    const fans = [reader, newId(), newId()];
    await h.follow(fans, star);
    await h.buildTimelines([reader]);
    const asCelebrity = await h.post(star, minutesAgo(20));
    expect(await fanOutPost(h.deps, asCelebrity)).toMatchObject({ celebrity: true });
    await h.unfollow(fans[2]!, star); // two followers: not above the threshold of two any more
    const asOrdinary = await h.post(star, minutesAgo(10));
    expect(await fanOutPost(h.deps, asOrdinary)).toMatchObject({ celebrity: false, timelinesWritten: 1 }); // the reader's: the only one built
    expect((await h.feedIds(reader)).ids).toEqual([asOrdinary.postId, asCelebrity.postId]);
  });

  it('drops a deleted post from feeds once post.deleted is handled, whatever a timeline still holds', async () => {
    const { reader, newestFirst } = await readerWithPosts();
    const [gone, ...rest] = newestFirst;
    const authorOf = async (postId: string) => (await h.database.sql`select author_id from feed_posts where post_id = ${postId}`)[0]!.author_id as string;
    await removePost(h.deps, { postId: gone!, authorId: await authorOf(gone!) });
    expect(await h.redis.zscore(h.deps.timelines.key(reader), gone!)).toBeNull();
    expect((await h.feedIds(reader)).ids).toEqual(rest);

    // A timeline that still holds a deleted post (its removal did not reach it): the read checks
    // feed_posts, drops it from the page and from the timeline.
    const [alsoGone] = rest;
    await h.database.sql`update feed_posts set deleted_at = now() where post_id = ${alsoGone!}`;
    expect(await h.redis.zscore(h.deps.timelines.key(reader), alsoGone!)).not.toBeNull();
    expect((await h.feedIds(reader)).ids).toEqual(rest.slice(1));
    expect(await h.redis.zscore(h.deps.timelines.key(reader), alsoGone!)).toBeNull();
    // A rebuild does not bring either back.
    await h.flushRedis();
    expect((await h.feedIds(reader)).ids).toEqual(rest.slice(1));
  });

  it("backfills a new followee's posts, and purges them on unfollow, checking the edge as it is now", async () => {
    const { reader, alice, newestFirst } = await readerWithPosts();
    const carol = newId();
    const carolPosts = [await h.post(carol, minutesAgo(35)), await h.post(carol, minutesAgo(25))];
    for (const post of carolPosts) await fanOutPost(h.deps, post);

    // follow.created arriving after the unfollow already happened: no backfill.
    await applyFollow(h.deps, { followerId: reader, followeeId: carol, createdAt: new Date().toISOString() });
    expect((await h.feedIds(reader)).ids).toEqual(newestFirst);

    await h.follow([reader], carol);
    await applyFollow(h.deps, { followerId: reader, followeeId: carol, createdAt: new Date().toISOString() });
    const [b10, a20, r30, b40, a50] = newestFirst;
    const [c35, c25] = carolPosts.map((p) => p.postId);
    expect((await h.feedIds(reader)).ids).toEqual([b10, a20, c25, r30, c35, b40, a50]);

    // follow.deleted while the edge is back (re-followed): nothing is purged.
    await applyUnfollow(h.deps, { followerId: reader, followeeId: carol });
    expect((await h.feedIds(reader)).ids).toHaveLength(7);

    await h.unfollow(reader, carol);
    await applyUnfollow(h.deps, { followerId: reader, followeeId: carol });
    expect((await h.feedIds(reader)).ids).toEqual(newestFirst);
    await h.unfollow(reader, alice);
    await applyUnfollow(h.deps, { followerId: reader, followeeId: alice });
    expect((await h.feedIds(reader)).ids).toHaveLength(3);
  });

  it('drops a rebuild that read the follow list before an unfollow, and builds it again', async () => {
    const { reader, alice, newestFirst } = await readerWithPosts();
    await h.flushRedis();
    const alicePosts = new Set((await h.database.sql`select post_id from feed_posts where author_id = ${alice}`).map((r) => r.post_id as string));
    // The rebuild reads everything (alice included), then the unfollow is handled before it commits.
    const committed = await h.deps.timelines.rebuild(reader, async () => {
      const stale = newestFirst.map((postId, i) => ({ postId, score: Date.now() - i }));
      await h.unfollow(reader, alice);
      await applyUnfollow(h.deps, { followerId: reader, followeeId: alice });
      return stale;
    });
    expect(committed).toBe(false);
    expect(await h.deps.timelines.isBuilt(reader)).toBe(false);
    const ids = (await h.feedIds(reader)).ids;
    expect(ids).toHaveLength(3);
    expect(ids.some((id) => alicePosts.has(id))).toBe(false);
  });

  it('answers a missing viewer, a bad first and a foreign cursor with the contract codes', async () => {
    const anonymous = await h.call('{ feed { edges { node { id } } } }', {}, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const tooMany = await h.call('{ feed(first: 101) { edges { node { id } } } }', {}, newId());
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await h.call('{ feed(after: "bm90IGEgY3Vyc29y") { edges { node { id } } } }', {}, newId());
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Well-formed, but a time no Date holds: still the caller's mistake, not a 500.
    const farFuture = Buffer.from(JSON.stringify([9e15, newId()])).toString('base64url');
    const outOfRange = await h.call('query($after: String) { feed(after: $after) { edges { node { id } } } }', { after: farFuture }, newId());
    expect(outOfRange.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
