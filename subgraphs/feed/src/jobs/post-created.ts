import type { EventPayload } from '@shutter/events';
import { feedFanOutLag } from '@shutter/telemetry';
import { recordCelebrity, updateCelebrityCount } from '../celebrities.ts';
import type { FeedDeps } from '../deps.ts';
import { recordPost } from '../feed-posts.ts';
import { createNotifications } from '../notifications.ts';
import type { TimelineEntry } from '../timelines.ts';
import { forEachFollowerPage } from './follower-pages.ts';

/**
 * Pages of NEW_POST notifications being written at once by one fan-out: enough to keep Postgres
 * busy, few enough to leave the worker's pool (2 + 2 x FANOUT_CONCURRENCY connections,
 * jobs/index.ts) to the other jobs. The pages wait for the timelines, and their turn, in memory
 * (a page is 1,000 ids: 100,000 followers are ~4 MB).
 */
const NOTIFICATION_PAGES_IN_FLIGHT = 3;

export interface FanOutResult {
  followers: number;
  celebrity: boolean;
  /** Timelines that got the post now (existing ones that lacked it). */
  timelinesWritten: number;
  notified: number;
}

/**
 * post.created: the post into the author's own timeline and every follower's (one script call per
 * page of 1,000), and then a NEW_POST notification for each follower (one transaction per page, a
 * few pages in flight).
 *
 * An author above the celebrity threshold is not fanned out: followers pull their posts at read,
 * and live subscribers hear of it on the author's channel. The post that first takes an author over
 * it is a promotion: one pass over the followers puts the author into their followed-celebrity sets
 * and tells their live subscriptions (which get this post on their own channel, then listen on the
 * author's from now on).
 *
 * Safe to run again from the start: ZADD of a present member, SADD, and a stored notification are
 * no-ops, so a job retried after a crash mid-way gives every timeline the post once.
 */
export async function fanOutPost(deps: FeedDeps, event: EventPayload<'post.created'>): Promise<FanOutResult> {
  const createdAt = new Date(event.createdAt);
  const entry: TimelineEntry = { postId: event.postId, score: createdAt.getTime() };
  // Deleted before this job ran (events can overtake each other): nothing to fan out.
  if (!(await recordPost(deps.db, { postId: event.postId, authorId: event.authorId, createdAt }))) {
    return { followers: 0, celebrity: false, timelinesWritten: 0, notified: 0 };
  }
  // The followers are read only once the post is recorded: a follow made meanwhile is then either
  // in these pages or its follow.created backfill finds the post. The author's own timeline is
  // written while social-graph answers.
  const [ownTimeline, firstPage] = await Promise.all([deps.timelines.addToMany([event.authorId], entry), deps.socialGraph.followerIds(event.authorId, null)]);
  let timelinesWritten = ownTimeline;
  if (firstPage.total > deps.celebrityThreshold) {
    if (await recordCelebrity(deps.db, event.authorId, firstPage.total)) {
      await deps.followedCelebrities.add(event.authorId, event.authorId);
      await forEachFollowerPage(deps, event.authorId, firstPage, (ids) => deps.followedCelebrities.promote(ids, event.authorId, event.postId));
    } else {
      await deps.live.announceCelebrityPost(deps.redis, event.authorId, event.postId);
    }
    return { followers: firstPage.total, celebrity: true, timelinesWritten, notified: 0 };
  }
  // An author who was a celebrity stays in the table: the posts made then were never fanned out,
  // and readers keep getting them by the merge (which drops duplicates of the ones fanned out now).
  await updateCelebrityCount(deps.db, event.authorId, firstPage.total);

  // Every timeline first (the feed is what people see, and its target is the tighter one), then
  // each page's notifications in transactions of their own, a few lanes at once. Writing them
  // while the timelines were still being written had Postgres, the follower pages and Redis share
  // two cores: the 100k timelines took 1.6 s instead of 0.6 s, for notifications done 10% sooner.
  let followers = 0;
  let notified = 0;
  let failure: unknown = null;
  let timelinesDone!: () => void;
  const afterTimelines = new Promise<void>((resolve) => (timelinesDone = resolve));
  const lanes: Promise<void>[] = Array.from({ length: NOTIFICATION_PAGES_IN_FLIGHT }, () => afterTimelines);
  let page = 0;
  try {
    await forEachFollowerPage(deps, event.authorId, firstPage, async (ids) => {
      timelinesWritten += await deps.timelines.addToMany(ids, entry);
      followers += ids.length;
      if (failure) throw failure;
      const lane = page++ % lanes.length;
      lanes[lane] = lanes[lane]!.then(async () => {
        if (failure) return;
        try {
          const created = await createNotifications(
            deps,
            ids.map((recipientId) => ({ recipientId, kind: 'NEW_POST' as const, actorId: event.authorId, postId: event.postId, dedupeKey: `post:${event.postId}`, createdAt })),
          );
          notified += created.length;
        } catch (err) {
          failure ??= err;
        }
      });
    });
    // The fan-out lag: from the post's creation to the last of its timelines written, the delay
    // before every follower's feed shows it (queueing, this job's retries, its pages).
    feedFanOutLag.observe(Math.max(0, Date.now() - createdAt.getTime()) / 1000);
  } finally {
    // The pages whose timelines were written get their notifications even when a later page
    // failed (a retry skips them by their dedupe keys); not one is left writing after the job ends
    // (a retry would run beside it).
    timelinesDone();
    await Promise.all(lanes);
  }
  if (failure) throw failure;
  return { followers, celebrity: false, timelinesWritten, notified };
}
