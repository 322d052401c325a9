/**
 * Posts this tab has just shared, until their images are processed: the composer puts each one
 * at the top of the author's feed at once, with the local previews, and the card shows it as
 * "processing" until the server has every image (media publishes the post only then).
 */
import { useSyncExternalStore } from 'react';

export interface PendingPost {
  /** How many images the post was made with. */
  imageCount: number;
  /** Object URLs of the picked files, shown while the server works. */
  previews: { url: string; alt: string }[];
}

const pending = new Map<string, PendingPost>();
/** When each post was shared: it stays on top of the first feed page for a while (see pinnedPostIds). */
const shared = new Map<string, number>();
const PIN_MS = 2 * 60_000;
const listeners = new Set<() => void>();
let version = 0;
const notify = () => {
  version++;
  for (const listener of listeners) listener();
};

export function addPendingPost(postId: string, post: PendingPost, now: number = Date.now()) {
  pending.set(postId, post);
  shared.set(postId, now);
  notify();
}

/**
 * Posts shared in this tab in the last two minutes. The feed's type policy keeps them on top when
 * a first page comes from the server: media publishes a post (and the feed fans it out to its
 * author) only after its images are processed, so a refetch before that would drop it.
 */
export function pinnedPostIds(now: number = Date.now()): string[] {
  const ids: string[] = [];
  for (const [id, at] of shared) {
    if (now - at < PIN_MS) ids.push(id);
    else shared.delete(id);
  }
  return ids.reverse();
}

export function settlePendingPost(postId: string) {
  const post = pending.get(postId);
  if (!post) return;
  pending.delete(postId);
  // The previews are no longer shown; give their memory back.
  for (const preview of post.previews) URL.revokeObjectURL(preview.url);
  notify();
}

export function usePendingPost(postId: string): PendingPost | null {
  useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => version,
  );
  return pending.get(postId) ?? null;
}
