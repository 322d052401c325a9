import { Link } from 'react-router';
import { Avatar } from '../../components/Avatar.tsx';
import { FollowButton } from '../../components/FollowButton.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { ResponsiveImage } from '../../components/ResponsiveImage.tsx';
import { graphql } from '../../gql/index.ts';
import type { NotificationRow_NotificationFragment } from '../../gql/graphql.ts';
import styles from './notifications.module.css';

export const NotificationRow_notification = graphql(`
  fragment NotificationRow_notification on Notification {
    id
    kind
    read
    createdAt
    actor {
      id
      username
      ...Avatar_user
      ...FollowButton_user
    }
    post {
      id
      media {
        id
        ...ResponsiveImage_image
      }
    }
    comment {
      id
      text
    }
  }
`);

function what(notification: NotificationRow_NotificationFragment): string {
  switch (notification.kind) {
    case 'FOLLOW':
      return 'started following you.';
    case 'LIKE':
      return 'liked your post.';
    case 'COMMENT':
      return notification.comment ? `commented: ${notification.comment.text}` : 'commented on your post.';
    case 'NEW_POST':
      return 'shared a new post.';
  }
}

/** One notification: who (a link to them), what, when, and the post it is about (a link to it). */
export function NotificationRow({ notification }: { notification: NotificationRow_NotificationFragment }) {
  const { actor, post } = notification;
  const target = post ? `/p/${post.id}` : `/u/${actor.username}`;
  const thumb = post?.media[0];
  return (
    <li className={`${styles.row} ${notification.read ? '' : styles.unread}`}>
      <Link to={`/u/${actor.username}`} className={styles.avatar} aria-label={`@${actor.username}`}>
        <Avatar user={actor} size={44} />
      </Link>
      <Link to={target} className={styles.text}>
        <strong>{actor.username}</strong> {what(notification)} <RelativeTime iso={notification.createdAt} className={styles.time} />
        {!notification.read && <span className="visually-hidden"> (unread)</span>}
      </Link>
      {notification.kind === 'FOLLOW' ? (
        <FollowButton user={actor} size="small" />
      ) : thumb && post ? (
        <Link to={`/p/${post.id}`} className={styles.thumb} aria-label="Open the post" tabIndex={-1}>
          <ResponsiveImage image={thumb} sizes="44px" alt="" />
        </Link>
      ) : null}
    </li>
  );
}
