/**
 * Live updates: the feed publishes on a Redis channel per user and topic; the gateway subscribes
 * for the sockets it holds. A message carries only the id of what happened: the gateway resolves
 * the subscriber's own selection set for it, as that viewer, through the supergraph.
 */
// 'celebrity' is per author, not per reader: a celebrity's posts are not fanned out, so a
// subscriber's gateway listens on the channels of the celebrities they follow.
export const LIVE_TOPICS = ['notifications', 'feed', 'celebrity'] as const;
export type LiveTopic = (typeof LIVE_TOPICS)[number];

export const liveChannelPrefix = (prefix: string, topic: LiveTopic) => `${prefix}:live:${topic}:`;
export const liveChannel = (prefix: string, topic: LiveTopic, userId: string) => liveChannelPrefix(prefix, topic) + userId;

export interface LiveMessage {
  /** A Notification id (notifications) or a Post id (feed). */
  id: string;
}

/** The ids of the authors above the fan-out threshold, kept by the feed worker beside its table. */
export const celebritiesKey = (prefix: string) => `${prefix}:celebrities`;
