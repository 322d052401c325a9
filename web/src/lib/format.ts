/** Numbers and times as people read them in a feed. */

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

/** 999 → "999", 12,345 → "12.3K" (counts in headers); lists and captions use whole numbers. */
export const compactCount = (n: number) => (n < 10_000 ? whole.format(n) : compact.format(n));
export const wholeCount = (n: number) => whole.format(n);

export const plural = (n: number, one: string, many: string = `${one}s`) => `${wholeCount(n)} ${n === 1 ? one : many}`;

/** Characters as people count them (code points), as the server does. */
export const charCount = (text: string) => [...text].length;

const DAY = 86_400_000;
const dateFormat = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric' });
const dateYearFormat = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', year: 'numeric' });
const fullFormat = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeStyle: 'short' });

/** "now", "5m", "3h", "2d", "4w", then the date: the short form of a feed. */
export function shortAgo(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) return 'now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))}m`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h`;
  if (now - then < 7 * DAY) return `${Math.round(seconds / 86_400)}d`;
  if (now - then < 30 * DAY) return `${Math.floor(seconds / (7 * 86_400))}w`;
  return new Date(then).getFullYear() === new Date(now).getFullYear() ? dateFormat.format(then) : dateYearFormat.format(then);
}

/** The same, spelled out for screen readers and tooltips: "5 minutes ago". */
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
export function longAgo(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  if (abs < 30 * 86_400) return relative.format(Math.round(seconds / 86_400), 'day');
  return fullFormat.format(then);
}

export const fullDate = (iso: string) => fullFormat.format(Date.parse(iso));

export function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
