import { Link } from 'react-router';
import { graphql } from '../gql/index.ts';
import type { UserRow_UserFragment } from '../gql/graphql.ts';
import { Avatar } from './Avatar.tsx';
import { FollowButton } from './FollowButton.tsx';
import styles from './UserRow.module.css';

export const UserRow_user = graphql(`
  fragment UserRow_user on User {
    id
    username
    displayName
    ...Avatar_user
    ...FollowButton_user
  }
`);

/** A person in a list (search, followers): picture, name, and a follow button. */
export function UserRow({ user, onNavigate }: { user: UserRow_UserFragment; onNavigate?: () => void }) {
  return (
    <li className={styles.row}>
      <Link to={`/u/${user.username}`} className={styles.who} onClick={onNavigate}>
        <Avatar user={user} size={44} />
        <span className={styles.names}>
          <span className={styles.username}>{user.username}</span>
          {user.displayName && <span className={styles.display}>{user.displayName}</span>}
        </span>
      </Link>
      <FollowButton user={user} size="small" />
    </li>
  );
}
