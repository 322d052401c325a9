import styles from './Skeleton.module.css';

/** Grey shapes where content is about to be, shimmering; hidden from screen readers. */
export function SkeletonBox({ width, height, round = false, className }: { width?: number | string; height?: number | string; round?: boolean; className?: string }) {
  return <span aria-hidden="true" className={`${styles.box} ${round ? styles.round : ''} ${className ?? ''}`} style={{ width, height }} />;
}

export function PostSkeleton() {
  return (
    <div className={styles.post} aria-hidden="true">
      <div className={styles.row}>
        <SkeletonBox width={32} height={32} round />
        <SkeletonBox width={140} height={12} />
      </div>
      <SkeletonBox className={styles.square} />
      <div className={styles.lines}>
        <SkeletonBox width={90} height={12} />
        <SkeletonBox width="80%" height={12} />
        <SkeletonBox width="55%" height={12} />
      </div>
    </div>
  );
}

export function FeedSkeleton({ count = 2 }: { count?: number }) {
  return (
    <div className={styles.feed} role="status" aria-label="Loading posts">
      {Array.from({ length: count }, (_, i) => (
        <PostSkeleton key={i} />
      ))}
    </div>
  );
}

export function RowSkeleton({ count = 6 }: { count?: number }) {
  return (
    <div role="status" aria-label="Loading">
      {Array.from({ length: count }, (_, i) => (
        <div key={i} className={styles.userRow} aria-hidden="true">
          <SkeletonBox width={44} height={44} round />
          <div className={styles.lines}>
            <SkeletonBox width={120} height={12} />
            <SkeletonBox width={80} height={12} />
          </div>
        </div>
      ))}
    </div>
  );
}

export function GridSkeleton({ count = 9 }: { count?: number }) {
  return (
    <div className={styles.grid} role="status" aria-label="Loading posts">
      {Array.from({ length: count }, (_, i) => (
        <SkeletonBox key={i} className={styles.tile} />
      ))}
    </div>
  );
}
