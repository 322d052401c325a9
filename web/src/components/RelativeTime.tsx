import { useSyncExternalStore } from 'react';
import { fullDate, longAgo, shortAgo } from '../lib/format.ts';

// One clock for every timestamp on screen, ticking each 30 s, so "now" becomes "1m" on its own.
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
function subscribe(listener: () => void) {
  listeners.add(listener);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of listeners) l();
  }, 30_000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

export function RelativeTime({ iso, long = false, className }: { iso: string; long?: boolean; className?: string }) {
  const current = useSyncExternalStore(subscribe, () => now);
  return (
    <time className={className} dateTime={iso} title={fullDate(iso)}>
      {long ? (
        longAgo(iso, current)
      ) : (
        <>
          <span aria-hidden="true">{shortAgo(iso, current)}</span>
          <span className="visually-hidden">{longAgo(iso, current)}</span>
        </>
      )}
    </time>
  );
}
