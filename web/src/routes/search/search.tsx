import { useQuery } from '@apollo/client/react';
import { Hash, Search as SearchIcon, X } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorState } from '../../components/ErrorState.tsx';
import { RowSkeleton } from '../../components/Skeleton.tsx';
import { UserRow } from '../../components/UserRow.tsx';
import { graphql } from '../../gql/index.ts';
import styles from './search.module.css';

const SearchUsers = graphql(`
  query SearchUsers($query: String!) {
    searchUsers(query: $query, first: 20) {
      id
      ...UserRow_user
    }
  }
`);

const DEBOUNCE_MS = 250;

/** Waits until the value has stopped changing for a moment: one request per pause, not per key. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function Component() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const query = useDebounced(text.trim(), DEBOUNCE_MS);
  const tag = query.startsWith('#') ? query.slice(1).toLowerCase() : null;
  const { data, previousData, error, loading, refetch } = useQuery(SearchUsers, {
    variables: { query: tag ?? query },
    skip: query.length === 0 || tag !== null,
    fetchPolicy: 'cache-first',
  });
  // The URL keeps the search, so Back returns to it.
  useEffect(() => {
    setParams(query ? { q: query } : {}, { replace: true });
  }, [query, setParams]);
  const results = (data ?? previousData)?.searchUsers ?? [];

  return (
    <div className={styles.page}>
      <h1 className={styles.title}>Search</h1>
      <div className={styles.box}>
        <SearchIcon size={18} aria-hidden="true" className={styles.icon} />
        <label htmlFor="search-input" className="visually-hidden">
          Search people by username or name, or #hashtag
        </label>
        <input
          id="search-input"
          className={styles.input}
          type="search"
          placeholder="Search people or #hashtags"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        {text && (
          <button type="button" className={styles.clear} aria-label="Clear the search" onClick={() => setText('')}>
            <X size={16} aria-hidden="true" />
          </button>
        )}
      </div>

      <div className={styles.results} aria-live="polite" aria-busy={loading}>
        {tag !== null ? (
          tag ? (
            <Link to={`/tags/${encodeURIComponent(tag)}`} className={styles.tagRow}>
              <span className={styles.tagIcon} aria-hidden="true">
                <Hash size={22} />
              </span>
              <span>
                <strong>#{tag}</strong>
                <span className={styles.sub}>See posts with this hashtag</span>
              </span>
            </Link>
          ) : null
        ) : query.length === 0 ? (
          <p className={styles.placeholder}>Find people by their username or name, or posts by #hashtag.</p>
        ) : error ? (
          <ErrorState title="Search didn’t work" error={error} onRetry={() => void refetch()} />
        ) : loading && results.length === 0 ? (
          <RowSkeleton count={4} />
        ) : results.length === 0 ? (
          <p className={styles.placeholder}>No one matches “{query}”.</p>
        ) : (
          <ul className={styles.list} aria-label={`People matching ${query}`}>
            {results.map((user) => (
              <UserRow key={user.id} user={user} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
