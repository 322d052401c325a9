import { useSuspenseQuery } from '@apollo/client/react';
import { useViewerSession } from '../../app/services.tsx';
import { UserRow } from '../../components/UserRow.tsx';
import { graphql } from '../../gql/index.ts';
import styles from './feed.module.css';

// searchUsers matches a prefix and has no "suggested" mode: a few common first letters give a
// varied handful of people, in one request.
const SuggestionsQuery = graphql(`
  query Suggestions {
    a: searchUsers(query: "a", first: 4) {
      id
      viewerIsFollowing
      ...UserRow_user
    }
    e: searchUsers(query: "e", first: 4) {
      id
      viewerIsFollowing
      ...UserRow_user
    }
    j: searchUsers(query: "j", first: 4) {
      id
      viewerIsFollowing
      ...UserRow_user
    }
    m: searchUsers(query: "m", first: 4) {
      id
      viewerIsFollowing
      ...UserRow_user
    }
    s: searchUsers(query: "s", first: 4) {
      id
      viewerIsFollowing
      ...UserRow_user
    }
  }
`);

/** People to follow: under an empty feed, and beside the feed on a wide screen. */
export function Suggestions({ limit = 8, compact = false }: { limit?: number; compact?: boolean }) {
  const { user: viewer } = useViewerSession();
  const { data } = useSuspenseQuery(SuggestionsQuery, { fetchPolicy: 'cache-first' });
  const seen = new Set<string>([viewer.id]);
  const people = [...data.a, ...data.e, ...data.j, ...data.m, ...data.s].filter((user) => {
    if (seen.has(user.id) || user.viewerIsFollowing) return false;
    seen.add(user.id);
    return true;
  });
  if (people.length === 0) return null;
  return (
    <section className={compact ? styles.asideSuggestions : styles.suggestions} aria-labelledby={`suggestions-${compact ? 'aside' : 'main'}`}>
      <h2 id={`suggestions-${compact ? 'aside' : 'main'}`} className={styles.suggestionsTitle}>
        Suggested for you
      </h2>
      <ul className={styles.suggestionList}>
        {people.slice(0, limit).map((user) => (
          <UserRow key={user.id} user={user} />
        ))}
      </ul>
    </section>
  );
}
