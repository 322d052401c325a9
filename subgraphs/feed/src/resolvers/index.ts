import { DateTimeScalar, parseFirst, requireViewer } from '@shutter/service';
import type { NotificationResolvers, Resolvers } from '../generated/resolvers-types.ts';
import { readHomeFeed } from '../home-feed.ts';
import { listNotifications, markNotificationsRead, notificationById, unreadNotificationCount } from '../notifications.ts';

const Notification: NotificationResolvers = {
  actor: (n) => ({ id: n.actorId }),
  post: (n) => (n.postId ? { id: n.postId } : null),
  comment: (n) => (n.commentId ? { id: n.commentId } : null),
  read: (n) => n.readAt !== null,
};

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    feed: (_, { first, after }, { feed, viewerId, requestId }) => readHomeFeed(feed, requireViewer(viewerId), parseFirst(first, 20), after, requestId),
    notifications: (_, { first, after }, { feed, viewerId }) => listNotifications(feed.db, requireViewer(viewerId), parseFirst(first, 20), after),
    unreadNotificationCount: (_, __, { feed, viewerId }) => unreadNotificationCount(feed.db, requireViewer(viewerId)),
    notification: (_, { id }, { feed, viewerId }) => notificationById(feed.db, requireViewer(viewerId), id),
  },
  Mutation: {
    markNotificationsRead: (_, { upTo }, { feed, viewerId }) => markNotificationsRead(feed.db, requireViewer(viewerId), upTo),
  },
  Notification,
};
