import { AlertCircle } from 'lucide-react';
import { isRouteErrorResponse, useRevalidator, useRouteError } from 'react-router';
import { describeError } from '../lib/errors.ts';
import styles from './ErrorState.module.css';

/** What failed, in words, and a way to try again. */
export function ErrorState({ title = 'Something went wrong', error, onRetry }: { title?: string; error: unknown; onRetry?: () => void }) {
  return (
    <div className={styles.state} role="alert">
      <AlertCircle size={40} strokeWidth={1.5} aria-hidden="true" />
      <h2 className={styles.title}>{title}</h2>
      <p className={styles.text}>{describeError(error)}</p>
      {onRetry && (
        <button type="button" className={styles.retry} onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * The error boundary of every route (React Router's errorElement): a query that failed under its
 * Suspense boundary lands here. "Try again" runs the route's loader again (a new query).
 */
export function RouteError() {
  const error = useRouteError();
  const revalidator = useRevalidator();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return <ErrorState title="Page not found" error={new Error('The link may be broken, or the page may have been removed.')} />;
  }
  return <ErrorState title="This page couldn’t load" error={error} onRetry={() => void revalidator.revalidate()} />;
}

export function EmptyState({ icon, title, children }: { icon: React.ReactNode; title: string; children?: React.ReactNode }) {
  return (
    <div className={styles.state}>
      <span className={styles.icon} aria-hidden="true">
        {icon}
      </span>
      <h2 className={styles.title}>{title}</h2>
      {children && <div className={styles.text}>{children}</div>}
    </div>
  );
}
