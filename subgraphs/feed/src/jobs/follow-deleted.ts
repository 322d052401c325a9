import type { EventPayload } from '@shutter/events';
import { isCelebrity } from '../celebrities.ts';
import type { FeedDeps } from '../deps.ts';
import { postsOf } from '../feed-posts.ts';

/** follow.deleted: the followee's posts out of the follower's timeline (and set), unless they follow again. */
export async function applyUnfollow(deps: FeedDeps, event: EventPayload<'follow.deleted'>): Promise<void> {
  const following = await deps.socialGraph.followedAmong(event.followerId, [event.followeeId]);
  if (following.has(event.followeeId)) return;
  if (await isCelebrity(deps.db, event.followeeId)) {
    await deps.followedCelebrities.remove(event.followerId, event.followeeId);
    await deps.live.refreshFeed(deps.redis, [event.followerId]);
  }
  // Also for a celebrity: the posts they made before they became one were fanned out.
  const posts = await postsOf(deps.db, [event.followeeId], null, deps.maxPosts);
  // A timeline being rebuilt right now is dropped rather than purged: its rebuild may have read
  // the follow list before this unfollow, and would put the posts back.
  await deps.timelines.purge(
    event.followerId,
    posts.map((p) => p.postId),
  );
}
