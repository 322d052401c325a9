import { useEffect, useEffectEvent, useRef, useState, useTransition, type ReactNode } from 'react';
import { describeError } from '../lib/errors.ts';
import styles from './LoadMore.module.css';

/**
 * The end of a paged list. When it comes within a screen of the viewport it asks for the next
 * page (in a transition, so what is shown stays), shows `skeleton` while that loads, and a
 * message with a retry button if it fails. Keyboard and screen-reader users get a button too.
 */
export function LoadMore({
  hasMore,
  loadMore,
  skeleton,
  label = 'Load more',
}: {
  hasMore: boolean;
  loadMore: () => Promise<unknown>;
  skeleton: ReactNode;
  label?: string;
}) {
  const sentinel = useRef<HTMLDivElement>(null);
  const [pending, startTransition] = useTransition();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inFlight = useRef(false);

  const load = () => {
    if (inFlight.current || !hasMore) return;
    inFlight.current = true;
    setLoading(true);
    setError(null);
    startTransition(async () => {
      try {
        await loadMore();
      } catch (e) {
        setError(e);
      } finally {
        inFlight.current = false;
        setLoading(false);
      }
    });
  };

  // The observer calls the latest `load` (this render's loadMore), without being rebuilt for it.
  const onVisible = useEffectEvent(load);
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasMore || error) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onVisible(), { rootMargin: '800px 0px' });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasMore, error]);

  if (!hasMore) return null;
  return (
    <div ref={sentinel} className={styles.more}>
      {error ? (
        <div className={styles.error} role="alert">
          <p>Couldn’t load more: {describeError(error)}</p>
          <button type="button" className={styles.retry} onClick={load}>
            Try again
          </button>
        </div>
      ) : loading || pending ? (
        <div aria-busy="true" aria-label="Loading more">
          {skeleton}
        </div>
      ) : (
        <button type="button" className={styles.button} onClick={load}>
          {label}
        </button>
      )}
    </div>
  );
}
