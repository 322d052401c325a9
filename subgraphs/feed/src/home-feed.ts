import { isRedisUnavailable, timeIdCursor, toConnection, type Connection } from '@shutter/service';
import { followedCelebrities } from './celebrities.ts';
import type { FeedDeps } from './deps.ts';
import { deletedAmong, postsOf } from './feed-posts.ts';
import type { TimelineEntry } from './timelines.ts';

export interface PostRef {
  id: string;
}

/** Newest first: by time, then by id, both descending; the order of the timeline and of the cursor. */
const newerFirst = (a: TimelineEntry, b: TimelineEntry) => b.score - a.score || (a.postId < b.postId ? 1 : a.postId > b.postId ? -1 : 0);

/** A missing timeline, rebuilt from feed_posts and the viewer's follow list (and their own posts). */
export async function rebuildTimeline(deps: FeedDeps, viewerId: string, requestId?: string): Promise<void> {
  // An unfollow while it ran drops the rebuild (it read the old follow list): build it again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const committed = await deps.timelines.rebuild(viewerId, async () => {
      const authors = [viewerId, ...(await deps.socialGraph.allFolloweeIds(viewerId, { requestId }))];
      return postsOf(deps.db, authors, null, deps.maxPosts);
    });
    if (committed) return;
  }
}

/**
 * The home feed: the viewer's timeline (rebuilt first if missing), merged with the recent posts of
 * the celebrities they follow. Posts the feed knows to be deleted are dropped (and taken out of the
 * timeline, should post.deleted's own removal not have reached it). The gateway then fetches the
 * posts from media; no call to media here. The cursor is the (time, id) of the last post, so pages
 * stay stable while new posts arrive on top.
 */
export async function readHomeFeed(
  deps: FeedDeps,
  viewerId: string,
  first: number,
  after: string | null | undefined,
  requestId?: string,
): Promise<Connection<PostRef>> {
  const start = timeIdCursor.decode(after);
  // Redis down (or too slow): the same feed from Postgres. Cursors are the same (time, id), so a
  // reader paging through while Redis goes away or comes back sees one sequence.
  if (deps.redis.status === 'ready') {
    try {
      return await readFromTimeline(deps, viewerId, first, start, requestId);
    } catch (e) {
      if (!isRedisUnavailable(e, deps.redis)) throw e;
    }
  }
  return readFromPostgres(deps, viewerId, first, start, requestId);
}

const toFeedConnection = (found: TimelineEntry[], first: number) =>
  toConnection(
    found,
    first,
    (e) => ({ id: e.postId }),
    (e) => timeIdCursor.encode([e.score, e.postId]),
  );

/**
 * The home feed without Redis: the posts of the viewer and of everyone they follow, straight from
 * feed_posts (deleted ones excluded). One query, slower than a timeline for someone who follows
 * thousands, but the same posts in the same order (celebrities' included: they are followees too).
 */
async function readFromPostgres(deps: FeedDeps, viewerId: string, first: number, start: readonly [number, string] | null, requestId?: string) {
  const authors = [viewerId, ...(await deps.socialGraph.allFolloweeIds(viewerId, { requestId }))];
  const before: TimelineEntry | null = start ? { score: start[0], postId: start[1] } : null;
  return toFeedConnection(await postsOf(deps.db, authors, before, first + 1), first);
}

async function readFromTimeline(deps: FeedDeps, viewerId: string, first: number, start: readonly [number, string] | null, requestId?: string) {
  const [built, celebrityIds] = await Promise.all([deps.timelines.isBuilt(viewerId), followedCelebrities(deps, viewerId, requestId)]);
  if (!built) await rebuildTimeline(deps, viewerId, requestId);

  const wanted = first + 1; // one more says whether there is a next page
  const found: TimelineEntry[] = [];
  let before: TimelineEntry | null = start ? { score: start[0], postId: start[1] } : null;
  while (found.length < wanted) {
    const need = wanted - found.length;
    const [fromTimeline, fromCelebrities] = await Promise.all([deps.timelines.page(viewerId, before, need), postsOf(deps.db, celebrityIds, before, need)]);
    const seen = new Set<string>();
    const candidates = [...fromTimeline, ...fromCelebrities]
      .sort(newerFirst)
      .filter((e) => !seen.has(e.postId) && seen.add(e.postId))
      .slice(0, need);
    if (candidates.length === 0) break;
    // Celebrities' posts come from feed_posts without the deleted ones; only the timeline's need the check.
    const deleted = await deletedAmong(deps.db, fromTimeline.map((e) => e.postId));
    if (deleted.size > 0) await deps.timelines.remove(viewerId, [...deleted]);
    found.push(...candidates.filter((c) => !deleted.has(c.postId)));
    before = candidates.at(-1) ?? null;
    // Both sources ran dry (they gave less than asked): nothing older is left.
    if (fromTimeline.length < need && fromCelebrities.length < need) break;
  }
  return toFeedConnection(found, first);
}
