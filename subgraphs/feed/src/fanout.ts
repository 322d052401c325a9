import { eq, sql } from 'drizzle-orm';
import { celebritiesKey, liveChannel, type EventPayload } from '@shutter/events';
import { celebrities, feedPosts } from './db/schema.ts';
import type { FeedDeps } from './deps.ts';
import { postsOf } from './home-feed.ts';
import { createNotifications, deleteNotificationsOfPost } from './notifications.ts';
import type { TimelineEntry } from './timelines.ts';

/** How many of a followee's posts a new follow copies into the follower's timeline. */
export const FOLLOW_BACKFILL_POSTS = 50;

export interface FanOutResult {
  followers: number;
  celebrity: boolean;
  /** Timelines that got the post now (existing ones that lacked it). */
  timelinesWritten: number;
  notified: number;
}

/**
 * Every page of an author's followers, 1,000 at a time, handed to `each` in order. The next page is
 * fetched while `each` works on this one, so social-graph's latency hides behind Redis's.
 */
async function forEachFollowerPage(
  deps: FeedDeps,
  authorId: string,
  first: Awaited<ReturnType<FeedDeps['socialGraph']['followerIds']>> | null,
  each: (ids: string[]) => Promise<void>,
): Promise<void> {
  let page = first ?? (await deps.socialGraph.followerIds(authorId, null));
  for (;;) {
    const next = page.nextCursor ? deps.socialGraph.followerIds(authorId, page.nextCursor) : null;
    // If `each` throws, the prefetch's own failure must not surface as an unhandled rejection.
    next?.catch(() => undefined);
    await each(page.ids);
    if (!next) return;
    page = await next;
  }
}

/**
 * post.created: the post into the author's own timeline and every follower's (one script call per
 * page of 1,000), then a NEW_POST notification for each follower (one transaction per page). An
 * author above the celebrity threshold is not fanned out: followers pull their posts at read.
 * Safe to run again from the start: ZADD of a present member and a stored notification are no-ops,
 * so a job retried after a crash mid-way gives every timeline the post once.
 */
export async function fanOutPost(deps: FeedDeps, event: EventPayload<'post.created'>): Promise<FanOutResult> {
  const createdAt = new Date(event.createdAt);
  const entry: TimelineEntry = { postId: event.postId, score: createdAt.getTime() };
  await deps.db.insert(feedPosts).values({ postId: event.postId, authorId: event.authorId, createdAt }).onConflictDoNothing();
  const [stored] = await deps.db.select({ deletedAt: feedPosts.deletedAt }).from(feedPosts).where(eq(feedPosts.postId, event.postId));
  // Deleted before this job ran (events can overtake each other): nothing to fan out.
  if (stored?.deletedAt) return { followers: 0, celebrity: false, timelinesWritten: 0, notified: 0 };

  let timelinesWritten = await deps.timelines.addToMany([event.authorId], entry);
  const firstPage = await deps.socialGraph.followerIds(event.authorId, null);
  if (firstPage.total > deps.celebrityThreshold) {
    await deps.db
      .insert(celebrities)
      .values({ userId: event.authorId, followerCount: firstPage.total })
      .onConflictDoUpdate({ target: celebrities.userId, set: { followerCount: firstPage.total, updatedAt: new Date() } });
    // Live followers hear of it on the author's channel, which their gateways listen on.
    await deps.redis
      .multi()
      .sadd(celebritiesKey(deps.prefix), event.authorId)
      .publish(liveChannel(deps.prefix, 'celebrity', event.authorId), JSON.stringify({ id: event.postId }))
      .exec();
    return { followers: firstPage.total, celebrity: true, timelinesWritten, notified: 0 };
  }
  // An author who was a celebrity stays in the table: the posts made then were never fanned out,
  // and readers keep getting them by the merge (which drops duplicates of the ones fanned out now).
  await deps.db.update(celebrities).set({ followerCount: firstPage.total, updatedAt: new Date() }).where(eq(celebrities.userId, event.authorId));

  const pages: string[][] = [];
  await forEachFollowerPage(deps, event.authorId, firstPage, async (ids) => {
    timelinesWritten += await deps.timelines.addToMany(ids, entry);
    pages.push(ids);
  });
  // Notifications after every timeline has the post: the feed is what people see first.
  let notified = 0;
  for (const ids of pages) {
    const created = await createNotifications(
      deps,
      ids.map((recipientId) => ({
        recipientId,
        kind: 'NEW_POST' as const,
        actorId: event.authorId,
        postId: event.postId,
        dedupeKey: `post:${event.postId}`,
        createdAt,
      })),
    );
    notified += created.length;
  }
  return { followers: pages.reduce((n, ids) => n + ids.length, 0), celebrity: false, timelinesWritten, notified };
}

/**
 * post.deleted: marked deleted in feed_posts (a row is made if post.created has not arrived yet, so
 * it cannot resurrect the post), its notifications removed, and the post taken out of the author's
 * and every follower's timeline. Reads hide it already: they ask media which posts still exist.
 */
export async function removePost(deps: FeedDeps, event: EventPayload<'post.deleted'>): Promise<void> {
  await deps.db
    .insert(feedPosts)
    .values({ postId: event.postId, authorId: event.authorId, createdAt: new Date(), deletedAt: new Date() })
    .onConflictDoUpdate({ target: feedPosts.postId, set: { deletedAt: sql`coalesce(${feedPosts.deletedAt}, now())` } });
  await deleteNotificationsOfPost(deps.db, event.postId);
  await deps.timelines.remove(event.authorId, [event.postId]);
  await forEachFollowerPage(deps, event.authorId, null, (ids) => deps.timelines.removeFromMany(ids, [event.postId]));
}

async function isCelebrity(deps: FeedDeps, userId: string): Promise<boolean> {
  const rows = await deps.db.select({ userId: celebrities.userId }).from(celebrities).where(eq(celebrities.userId, userId));
  return rows.length > 0;
}

/**
 * follow.created: a FOLLOW notification, and the followee's recent posts into the follower's
 * timeline. Follow and unfollow events travel on different queues and may be handled out of order,
 * so it asks social-graph for the edge as it is now and does nothing if it is gone.
 */
export async function applyFollow(deps: FeedDeps, event: EventPayload<'follow.created'>): Promise<void> {
  const following = await deps.socialGraph.followedAmong(event.followerId, [event.followeeId]);
  if (!following.has(event.followeeId)) return;
  await createNotifications(deps, [
    {
      recipientId: event.followeeId,
      kind: 'FOLLOW',
      actorId: event.followerId,
      dedupeKey: `follow:${event.followerId}`,
      createdAt: new Date(event.createdAt),
    },
  ]);
  // A celebrity's posts are merged in at read; copying them would only crowd the timeline.
  if (await isCelebrity(deps, event.followeeId)) return;
  await deps.timelines.addManyToOne(event.followerId, await postsOf(deps, [event.followeeId], null, FOLLOW_BACKFILL_POSTS));
}

/** follow.deleted: the followee's posts out of the follower's timeline, unless they follow again. */
export async function applyUnfollow(deps: FeedDeps, event: EventPayload<'follow.deleted'>): Promise<void> {
  const following = await deps.socialGraph.followedAmong(event.followerId, [event.followeeId]);
  if (following.has(event.followeeId)) return;
  const posts = await postsOf(deps, [event.followeeId], null, deps.maxPosts);
  // A timeline being rebuilt right now is dropped rather than purged: its rebuild may have read
  // the follow list before this unfollow, and would put the posts back.
  await deps.timelines.purge(
    event.followerId,
    posts.map((p) => p.postId),
  );
}

/** post.liked: LIKE for the post's author (once per liker and post, however often they re-like). */
export async function notifyLike(deps: FeedDeps, event: EventPayload<'post.liked'>): Promise<void> {
  await createNotifications(deps, [
    {
      recipientId: event.postAuthorId,
      kind: 'LIKE',
      actorId: event.likerId,
      postId: event.postId,
      dedupeKey: `like:${event.postId}:${event.likerId}`,
      createdAt: new Date(event.likedAt),
    },
  ]);
}

/** comment.added: COMMENT for the post's author. */
export async function notifyComment(deps: FeedDeps, event: EventPayload<'comment.added'>): Promise<void> {
  await createNotifications(deps, [
    {
      recipientId: event.postAuthorId,
      kind: 'COMMENT',
      actorId: event.authorId,
      postId: event.postId,
      commentId: event.commentId,
      dedupeKey: `comment:${event.commentId}`,
      createdAt: new Date(event.createdAt),
    },
  ]);
}
