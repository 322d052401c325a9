import type { IdsPage } from '@shutter/contracts';
import type { FeedDeps } from '../deps.ts';

/**
 * Every page of an author's followers, 1,000 at a time, handed to `each` in order. The next page is
 * fetched while `each` works on this one, so social-graph's latency hides behind Redis's.
 */
export async function forEachFollowerPage(deps: FeedDeps, authorId: string, first: IdsPage | null, each: (ids: string[]) => Promise<unknown>): Promise<void> {
  let page = first ?? (await deps.socialGraph.followerIds(authorId, null));
  for (;;) {
    const next = page.nextCursor ? deps.socialGraph.followerIds(authorId, page.nextCursor) : null;
    // If `each` throws, the prefetch's own failure must not surface as an unhandled rejection.
    next?.catch(() => undefined);
    await each(page.ids);
    if (!next) return;
    page = await next;
  }
}
