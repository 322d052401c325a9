import { and, desc, isNull, sql } from 'drizzle-orm';
import { isId } from '@shutter/db';
import { decodeCursor, encodeCursor, toConnection, type Connection } from '@shutter/service';
import { celebrities, feedPosts } from './db/schema.ts';
import type { FeedDeps } from './deps.ts';
import type { TimelineEntry } from './timelines.ts';

export interface PostRef {
  id: string;
}

/** The latest time a Date (and Postgres) holds, in ms: a cursor beyond it is not one we gave out. */
const MAX_TIME_MS = 8_640_000_000_000_000;
const isPosition = (value: unknown[]): value is [number, string] =>
  value.length === 2 &&
  Number.isSafeInteger(value[0]) &&
  (value[0] as number) >= 0 &&
  (value[0] as number) <= MAX_TIME_MS &&
  typeof value[1] === 'string' &&
  isId(value[1]);

/** Newest first: by time, then by id, both descending; the order of the timeline and of the cursor. */
const newerFirst = (a: TimelineEntry, b: TimelineEntry) => b.score - a.score || (a.postId < b.postId ? 1 : a.postId > b.postId ? -1 : 0);
const olderThan = (position: TimelineEntry) =>
  sql`(${feedPosts.createdAt}, ${feedPosts.postId}) < (${new Date(position.score).toISOString()}::timestamptz, ${position.postId}::uuid)`;

/** Published, not deleted posts of some authors, newest first, older than a position (if given). */
export async function postsOf(deps: FeedDeps, authorIds: string[], before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  if (authorIds.length === 0) return [];
  const rows = await deps.db
    .select({ postId: feedPosts.postId, createdAt: feedPosts.createdAt })
    .from(feedPosts)
    .where(and(sql`${feedPosts.authorId} = ANY(${sql.param(authorIds)}::uuid[])`, isNull(feedPosts.deletedAt), before ? olderThan(before) : undefined))
    .orderBy(desc(feedPosts.createdAt), desc(feedPosts.postId))
    .limit(limit);
  return rows.map((r) => ({ postId: r.postId, score: r.createdAt.getTime() }));
}

/** A missing timeline, rebuilt from feed_posts and the viewer's follow list (and their own posts). */
export async function rebuildTimeline(deps: FeedDeps, viewerId: string): Promise<void> {
  // An unfollow while it ran drops the rebuild (it read the old follow list): build it again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const committed = await deps.timelines.rebuild(viewerId, async () => {
      const authors = [viewerId, ...(await deps.socialGraph.allFolloweeIds(viewerId))];
      return postsOf(deps, authors, null, deps.maxPosts);
    });
    if (committed) return;
  }
}

/** The celebrities the viewer follows (or is): their posts are merged in at read, not fanned out. */
async function followedCelebrities(deps: FeedDeps, viewerId: string): Promise<string[]> {
  const rows = await deps.db.select({ userId: celebrities.userId }).from(celebrities);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.userId);
  const followed = await deps.socialGraph.followedAmong(viewerId, ids);
  return ids.filter((id) => id === viewerId || followed.has(id));
}

/**
 * The home feed: the viewer's timeline (rebuilt first if missing), merged with the recent posts of
 * the celebrities they follow, minus posts media no longer shows (deleted before the purge job ran,
 * which are then dropped from the timeline too). The cursor is the (time, id) of the last post, so
 * pages stay stable while new posts arrive on top.
 */
export async function readHomeFeed(
  deps: FeedDeps,
  viewerId: string,
  first: number,
  after: string | null | undefined,
  requestId?: string,
): Promise<Connection<PostRef>> {
  const start = decodeCursor(after, isPosition);
  if (!(await deps.timelines.isBuilt(viewerId))) await rebuildTimeline(deps, viewerId);
  const celebrityIds = await followedCelebrities(deps, viewerId);

  const wanted = first + 1; // one more says whether there is a next page
  const found: TimelineEntry[] = [];
  let before: TimelineEntry | null = start ? { score: start[0], postId: start[1] } : null;
  while (found.length < wanted) {
    const need = wanted - found.length;
    const [fromTimeline, fromCelebrities] = await Promise.all([
      deps.timelines.page(viewerId, before, need),
      postsOf(deps, celebrityIds, before, need),
    ]);
    const seen = new Set<string>();
    const candidates = [...fromTimeline, ...fromCelebrities]
      .sort(newerFirst)
      .filter((e) => !seen.has(e.postId) && seen.add(e.postId))
      .slice(0, need);
    if (candidates.length === 0) break;
    const visible = await deps.media.visiblePostIds(candidates.map((c) => c.postId), viewerId, requestId);
    const gone = candidates.filter((c) => !visible.has(c.postId)).map((c) => c.postId);
    if (gone.length > 0) await deps.timelines.remove(viewerId, gone);
    found.push(...candidates.filter((c) => visible.has(c.postId)));
    before = candidates.at(-1) ?? null;
    // Both sources ran dry (they gave less than asked): nothing older is left.
    if (fromTimeline.length < need && fromCelebrities.length < need) break;
  }
  return toConnection(
    found,
    first,
    (e) => ({ id: e.postId }),
    (e) => encodeCursor([e.score, e.postId]),
  );
}
