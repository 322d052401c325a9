import { DateTimeScalar, parseFirst, unauthenticated } from '@shutter/service';
import type { NotificationResolvers, Resolvers } from '../generated/resolvers-types.ts';
import { readHomeFeed } from '../home-feed.ts';
import { listNotifications, markNotificationsRead, notificationById, unreadNotificationCount } from '../notifications.ts';

const signedIn = (viewerId: string | null): string => {
  if (!viewerId) throw unauthenticated();
  return viewerId;
};

const Notification: NotificationResolvers = {
  actor: (n) => ({ id: n.actorId }),
  post: (n) => (n.postId ? { id: n.postId } : null),
  comment: (n) => (n.commentId ? { id: n.commentId } : null),
  read: (n) => n.readAt !== null,
};

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    feed: (_, { first, after }, { feed, viewerId, requestId }) => readHomeFeed(feed, signedIn(viewerId), parseFirst(first, 20), after, requestId),
    notifications: (_, { first, after }, { feed, viewerId }) => listNotifications(feed.db, signedIn(viewerId), parseFirst(first, 20), after),
    unreadNotificationCount: (_, __, { feed, viewerId }) => unreadNotificationCount(feed.db, signedIn(viewerId)),
    notification: (_, { id }, { feed, viewerId }) => notificationById(feed.db, signedIn(viewerId), id),
  },
  Mutation: {
    markNotificationsRead: (_, { upTo }, { feed, viewerId }) => markNotificationsRead(feed.db, signedIn(viewerId), upTo),
  },
  Notification,
};
