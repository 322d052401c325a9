import type { EventPayload } from '@shutter/events';
import { isCelebrity } from '../celebrities.ts';
import type { FeedDeps } from '../deps.ts';
import { postsOf } from '../feed-posts.ts';
import { createNotifications } from '../notifications.ts';

/** How many of a followee's posts a new follow copies into the follower's timeline. */
export const FOLLOW_BACKFILL_POSTS = 50;

/**
 * follow.created: a FOLLOW notification, and the followee's recent posts into the follower's
 * timeline; or, for a celebrity, the celebrity into the follower's set and a refresh of their live
 * channels (so a subscription made before the follow hears the celebrity's next post). Follow and
 * unfollow events travel on different queues and may be handled out of order, so it asks
 * social-graph for the edge as it is now and does nothing if it is gone.
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
  if (await isCelebrity(deps.db, event.followeeId)) {
    // Their posts are merged in at read; copying them would only crowd the timeline.
    await deps.followedCelebrities.add(event.followerId, event.followeeId);
    await deps.live.refreshFeed(deps.redis, [event.followerId]);
    return;
  }
  await deps.timelines.addManyToOne(event.followerId, await postsOf(deps.db, [event.followeeId], null, FOLLOW_BACKFILL_POSTS));
}
