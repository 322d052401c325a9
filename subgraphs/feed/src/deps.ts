import type { RedisClient } from '@shutter/events';
import { SocialGraphClient } from '@shutter/contracts';
import type { FeedConfig } from './config.ts';
import type { FeedDb } from './db/index.ts';
import { FollowedCelebritiesStore } from './followed-celebrities.ts';
import { LiveChannels } from './live.ts';
import { TimelineStore } from './timelines.ts';

/** What the feed's domain functions work with; the service and the worker each build one. */
export interface FeedDeps {
  db: FeedDb;
  redis: RedisClient;
  timelines: TimelineStore;
  followedCelebrities: FollowedCelebritiesStore;
  socialGraph: SocialGraphClient;
  live: LiveChannels;
  celebrityThreshold: number;
  maxPosts: number;
}

export function createFeedDeps(config: FeedConfig, db: FeedDb, redis: RedisClient): FeedDeps {
  const live = new LiveChannels(config.QUEUE_PREFIX);
  const ttlSeconds = config.TIMELINE_TTL_DAYS * 86_400;
  return {
    db,
    redis,
    timelines: new TimelineStore(redis, { prefix: config.QUEUE_PREFIX, maxPosts: config.TIMELINE_MAX_POSTS, ttlSeconds, liveChannelPrefix: live.feedPrefix }),
    followedCelebrities: new FollowedCelebritiesStore(redis, { prefix: config.QUEUE_PREFIX, ttlSeconds, feedChannelPrefix: live.feedPrefix }),
    socialGraph: new SocialGraphClient({ name: 'social-graph', url: config.SOCIAL_GRAPH_URL, signingSecret: config.GATEWAY_SIGNING_SECRET }),
    live,
    celebrityThreshold: config.CELEBRITY_FOLLOWER_THRESHOLD,
    maxPosts: config.TIMELINE_MAX_POSTS,
  };
}
