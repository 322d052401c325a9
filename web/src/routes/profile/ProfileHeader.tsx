import { Settings } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { useViewerSession } from '../../app/services.tsx';
import { Avatar } from '../../components/Avatar.tsx';
import { FollowButton } from '../../components/FollowButton.tsx';
import { graphql } from '../../gql/index.ts';
import type { ProfileHeader_UserFragment } from '../../gql/graphql.ts';
import { compactCount } from '../../lib/format.ts';
import { AvatarEditor } from './AvatarEditor.tsx';
import styles from './profile.module.css';

export const ProfileHeader_user = graphql(`
  fragment ProfileHeader_user on User {
    id
    username
    displayName
    bio
    postCount
    followerCount
    followingCount
    ...Avatar_user
    ...FollowButton_user
  }
`);

function Count({ n, one, many, to }: { n: number; one: string; many: string; to?: string }) {
  const body = (
    <>
      <strong>{compactCount(n)}</strong> {n === 1 ? one : many}
    </>
  );
  return to ? (
    <Link to={to} className={styles.count}>
      {body}
    </Link>
  ) : (
    <span className={styles.count}>{body}</span>
  );
}

/** Picture, name, counts (followers and following open their lists), bio, and the actions. */
export function ProfileHeader({ user }: { user: ProfileHeader_UserFragment }) {
  const { user: viewer } = useViewerSession();
  const own = viewer.id === user.id;
  const [editingAvatar, setEditingAvatar] = useState(false);
  const [localAvatar, setLocalAvatar] = useState<string | null>(null);
  const base = `/u/${user.username}`;

  const picture = <Avatar user={user} size={150} localUrl={localAvatar} />;
  return (
    <header className={styles.header}>
      <div className={styles.picture}>
        {own ? (
          <button type="button" className={styles.avatarButton} aria-label="Change profile photo" onClick={() => setEditingAvatar(true)}>
            {picture}
          </button>
        ) : (
          picture
        )}
      </div>
      <section className={styles.info}>
        <div className={styles.titleRow}>
          <h1 className={styles.username}>{user.username}</h1>
          <div className={styles.buttons}>
            {own ? (
              <>
                <Link to="/accounts/edit" className={styles.secondary}>
                  Edit profile
                </Link>
                <Link to="/settings" className={styles.iconLink} aria-label="Settings">
                  <Settings size={22} aria-hidden="true" />
                </Link>
              </>
            ) : (
              <FollowButton user={user} />
            )}
          </div>
        </div>
        <div className={styles.counts}>
          <Count n={user.postCount} one="post" many="posts" />
          <Count n={user.followerCount} one="follower" many="followers" to={`${base}/followers`} />
          <Count n={user.followingCount} one="following" many="following" to={`${base}/following`} />
        </div>
        <div className={styles.about}>
          {user.displayName && <p className={styles.displayName}>{user.displayName}</p>}
          {user.bio && <p className={styles.bio}>{user.bio}</p>}
          {!own && user.followsViewer && <p className={styles.followsYou}>Follows you</p>}
        </div>
      </section>
      {editingAvatar && (
        <AvatarEditor
          user={user}
          onLocalPreview={setLocalAvatar}
          onClose={() => setEditingAvatar(false)}
        />
      )}
    </header>
  );
}
