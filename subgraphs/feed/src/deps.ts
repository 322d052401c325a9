import type { Redis } from 'ioredis';
import { liveChannelPrefix } from '@shutter/events';
import { SocialGraphClient } from '@shutter/social-graph/client';
import { MediaClient } from './clients.ts';
import type { FeedConfig } from './config.ts';
import type { FeedDb } from './db/client.ts';
import { TimelineStore } from './timelines.ts';

/** What the feed's domain functions work with; the service and the worker each build one. */
export interface FeedDeps {
  db: FeedDb;
  redis: Redis;
  timelines: TimelineStore;
  socialGraph: SocialGraphClient;
  media: MediaClient;
  /** Redis prefix of keys and live channels. */
  prefix: string;
  celebrityThreshold: number;
  maxPosts: number;
}

export function createFeedDeps(config: FeedConfig, db: FeedDb, redis: Redis): FeedDeps {
  return {
    db,
    redis,
    timelines: new TimelineStore(redis, {
      prefix: config.QUEUE_PREFIX,
      maxPosts: config.TIMELINE_MAX_POSTS,
      ttlSeconds: config.TIMELINE_TTL_DAYS * 86_400,
      liveChannelPrefix: liveChannelPrefix(config.QUEUE_PREFIX, 'feed'),
    }),
    socialGraph: new SocialGraphClient(config.SOCIAL_GRAPH_URL, config.GATEWAY_SIGNING_SECRET),
    media: new MediaClient(config.MEDIA_URL, config.GATEWAY_SIGNING_SECRET),
    prefix: config.QUEUE_PREFIX,
    celebrityThreshold: config.CELEBRITY_FOLLOWER_THRESHOLD,
    maxPosts: config.TIMELINE_MAX_POSTS,
  };
}
