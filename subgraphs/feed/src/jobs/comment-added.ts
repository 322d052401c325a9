import type { EventPayload } from '@shutter/events';
import type { FeedDeps } from '../deps.ts';
import { createNotifications } from '../notifications.ts';

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
