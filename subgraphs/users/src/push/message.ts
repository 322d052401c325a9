import type { EventPayload } from '@shutter/events';

/** One notification of a notification.created batch. */
export type NotificationCreated = EventPayload<'notification.created'>['notifications'][number];
export type NotificationKind = NotificationCreated['kind'];

/** What a device shows, and what the app gets when it is tapped. */
export interface PushMessage {
  title: string;
  body: string;
  data: {
    notificationId: string;
    kind: NotificationKind;
    actorId: string;
    postId: string | null;
    commentId: string | null;
  };
}

// The title names who did it (that is what a glance at the lock screen needs); the body says
// where to look. No post or comment text: media owns it, and the event does not carry it.
const TEXT: Record<NotificationKind, { action: string; body: string }> = {
  FOLLOW: { action: 'started following you', body: 'You have a new follower.' },
  LIKE: { action: 'liked your post', body: 'Your post has a new like.' },
  COMMENT: { action: 'commented on your post', body: 'Your post has a new comment.' },
  NEW_POST: { action: 'shared a new post', body: 'A new post in your feed.' },
};

export function renderPushMessage(notification: NotificationCreated, actorUsername: string): PushMessage {
  const text = TEXT[notification.kind];
  return {
    title: `@${actorUsername} ${text.action}`,
    body: text.body,
    data: {
      notificationId: notification.notificationId,
      kind: notification.kind,
      actorId: notification.actorId,
      postId: notification.postId,
      commentId: notification.commentId,
    },
  };
}
