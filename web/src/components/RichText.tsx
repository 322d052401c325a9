import { Link } from 'react-router';
import styles from './RichText.module.css';

// The media service's rule for a hashtag (subgraphs/media/src/hashtags.ts), and @usernames.
const TOKEN = /(^|[^\p{L}\p{N}_&#@])([#@])([\p{L}\p{N}][\p{L}\p{N}_.]*)/gu;

/**
 * A caption or comment with its #hashtags and @mentions as links. Only tags the server parsed
 * (`hashtags`) become links, so a link always leads to the posts that carry it.
 */
export function RichText({ text, hashtags }: { text: string; hashtags: readonly string[] }) {
  const parts: React.ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [, before = '', sigil, word = ''] = match;
    const start = (match.index ?? 0) + before.length;
    // A tag has no dots; a username may, but does not end a sentence with one.
    const name = sigil === '#' ? word.split('.')[0]! : word.replace(/[.]+$/, '');
    const tag = name.toLowerCase();
    const isLink = sigil === '#' ? hashtags.includes(tag) : /^[a-z0-9._]{3,30}$/i.test(name);
    if (!isLink) continue;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(
      <Link key={start} className={styles.link} to={sigil === '#' ? `/tags/${encodeURIComponent(tag)}` : `/u/${encodeURIComponent(tag)}`}>
        {sigil}
        {name}
      </Link>,
    );
    last = start + 1 + name.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
}
