import type { EventPayload } from '@shutter/events';
import type { FeedDeps } from '../deps.ts';
import { createNotifications } from '../notifications.ts';

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
