import { graphql } from '../gql/index.ts';
import type { Avatar_UserFragment } from '../gql/graphql.ts';
import { mediaUrl } from '../lib/urls.ts';
import styles from './Avatar.module.css';

export const Avatar_user = graphql(`
  fragment Avatar_user on User {
    id
    username
    avatar {
      id
      variants {
        url
        width
        contentType
      }
    }
  }
`);

/** A round picture of a person, or their initial on a colour of their own when they have none. */
export function Avatar({ user, size, localUrl }: { user: Avatar_UserFragment; size: number; localUrl?: string | null }) {
  const variants = (user.avatar?.variants ?? []).filter((v) => v.contentType === 'image/webp');
  const style = { width: size, height: size, fontSize: Math.round(size * 0.42) };
  if (localUrl) return <img className={styles.avatar} src={localUrl} alt="" style={style} />;
  if (variants.length === 0) {
    // A hue from the id, so a person keeps a colour wherever they appear.
    let hash = 0;
    for (const ch of user.id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return (
      <span className={styles.initial} style={{ ...style, background: `hsl(${hash % 360} 55% 45%)` }} aria-hidden="true">
        {user.username.slice(0, 1).toUpperCase()}
      </span>
    );
  }
  return (
    <img
      className={styles.avatar}
      srcSet={variants.map((v) => `${mediaUrl(v.url)} ${v.width}w`).join(', ')}
      sizes={`${size}px`}
      src={mediaUrl(variants[variants.length - 1]!.url)}
      alt=""
      width={size}
      height={size}
      loading="lazy"
      decoding="async"
      style={style}
    />
  );
}
