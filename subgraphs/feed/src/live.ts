import { LIVE_REFRESH, liveEvent } from '@shutter/contracts';
import type { RedisClient } from '@shutter/events';

/**
 * The feed's live channels (Redis pub/sub), named here and nowhere else: the gateway learns which
 * to listen on from the live-channels endpoint. A message is an event id, or a refresh (the
 * viewer's channels changed): packages/contracts' LiveMessage.
 */
export class LiveChannels {
  constructor(private readonly prefix: string) {}

  /** The viewer's new notifications. */
  notifications = (userId: string) => `${this.prefix}:live:notifications:${userId}`;
  /** Posts fanned out into the viewer's timeline, and refreshes of the viewer's feed channels. */
  feed = (userId: string) => `${this.prefix}:live:feed:${userId}`;
  /** A celebrity's posts, which are not fanned out: each follower's subscription listens here. */
  celebrity = (authorId: string) => `${this.prefix}:live:celebrity:${authorId}`;

  /** The prefix of every feed channel (the fan-out script appends the user id). */
  get feedPrefix(): string {
    return this.feed('');
  }

  /** Tells a viewer's subscriptions to ask for their channels again (they followed or unfollowed a celebrity). */
  async refreshFeed(redis: RedisClient, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const pipeline = redis.pipeline();
    for (const id of userIds) pipeline.publish(this.feed(id), LIVE_REFRESH);
    await pipeline.exec();
  }

  announceCelebrityPost(redis: RedisClient, authorId: string, postId: string) {
    return redis.publish(this.celebrity(authorId), liveEvent(postId));
  }
}
