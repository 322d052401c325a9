import type { EventPayload } from '@shutter/events';
import type { FeedDeps } from '../deps.ts';
import { markDeleted } from '../feed-posts.ts';
import { deleteNotificationsOfPost } from '../notifications.ts';
import { forEachFollowerPage } from './follower-pages.ts';

/**
 * post.deleted: marked deleted in feed_posts (which reads check from then on), its notifications
 * removed, and the post taken out of the author's and every follower's timeline.
 */
export async function removePost(deps: FeedDeps, event: EventPayload<'post.deleted'>): Promise<void> {
  await markDeleted(deps.db, event);
  await deleteNotificationsOfPost(deps.db, event.postId);
  await deps.timelines.remove(event.authorId, [event.postId]);
  await forEachFollowerPage(deps, event.authorId, null, (ids) => deps.timelines.removeFromMany(ids, [event.postId]));
}
