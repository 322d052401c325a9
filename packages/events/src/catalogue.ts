import { z } from 'zod';

/**
 * Every event that crosses a service boundary (and the one job a service hands itself through its
 * outbox, push.requested, so that it too survives Redis losing data): its payload, and the queues
 * it is delivered to. A producer writes it to its outbox (same transaction as the change); the
 * relay puts one job on each listed queue, with jobId = the outbox row's id, and its reconciler
 * puts it there again if Redis loses it. A consumer records each event it has handled in its own
 * database (the inbox) and skips one it has already handled; handlers are idempotent anyway, since
 * BullMQ delivers at least once.
 */
const id = z.uuid();

/** The kinds of notification: the feed stores them, the users worker renders their pushes. */
export const NOTIFICATION_KINDS = ['FOLLOW', 'LIKE', 'COMMENT', 'NEW_POST'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
const timestamp = z.iso.datetime({ offset: true });

export const eventCatalogue = {
  'follow.created': {
    from: 'social-graph',
    payload: z.object({ followerId: id, followeeId: id, createdAt: timestamp }),
    // feed: backfill the follower's timeline; FOLLOW notification for the followee.
    queues: ['feed.follow-created'],
  },
  'follow.deleted': {
    from: 'social-graph',
    payload: z.object({ followerId: id, followeeId: id }),
    // feed: purge the followee's posts from the follower's timeline.
    queues: ['feed.follow-deleted'],
  },
  'upload.received': {
    from: 'media',
    payload: z.object({ uploadId: id }),
    // media's own worker: variants, metadata stripped, blurhash.
    queues: ['media.process-upload'],
  },
  'post.created': {
    from: 'media',
    // Emitted when the post becomes visible (all its images processed), not when it is asked for.
    payload: z.object({ postId: id, authorId: id, createdAt: timestamp }),
    // feed: fan-out to followers' timelines and NEW_POST notifications.
    queues: ['feed.post-created'],
  },
  'post.deleted': {
    from: 'media',
    payload: z.object({ postId: id, authorId: id }),
    queues: ['feed.post-deleted'],
  },
  'post.liked': {
    from: 'media',
    // The post's author travels with the event, so the feed notifies without calling back.
    payload: z.object({ postId: id, postAuthorId: id, likerId: id, likedAt: timestamp }),
    queues: ['feed.post-liked'],
  },
  'comment.added': {
    from: 'media',
    payload: z.object({ commentId: id, postId: id, postAuthorId: id, authorId: id, createdAt: timestamp }),
    queues: ['feed.comment-added'],
  },
  'notification.created': {
    from: 'feed',
    // The notifications one transaction stored: one, or a page of up to 1,000 NEW_POST from a
    // fan-out. Batched so that a post to 100,000 followers is 100 events and 100 device lookups,
    // not 100,000 of each. Each carries enough for the users worker to render and push it without
    // calling back: it owns the actor's name.
    payload: z.object({
      notifications: z
        .array(
          z.object({
            notificationId: id,
            recipientId: id,
            kind: z.enum(NOTIFICATION_KINDS),
            actorId: id,
            postId: id.nullable(),
            commentId: id.nullable(),
            createdAt: timestamp,
          }),
        )
        .min(1)
        .max(1000),
    }),
    // users: one push per device of each recipient.
    queues: ['users.push-notification'],
  },
  'push.requested': {
    from: 'users',
    // One push to one device, rendered: the users worker plans them from notification.created and
    // sends each as a job of its own, so that each device is retried on its own.
    payload: z.object({
      deviceId: id,
      // The device is pushed to only while it still belongs to the recipient (it moves when another user registers it).
      recipientId: id,
      message: z.object({
        title: z.string(),
        body: z.string(),
        data: z.object({
          notificationId: id,
          kind: z.enum(NOTIFICATION_KINDS),
          actorId: id,
          postId: id.nullable(),
          commentId: id.nullable(),
        }),
      }),
    }),
    queues: ['users.push-deliver'],
    // The users worker's backoff strategy waits as long as a push service's Retry-After asks.
    jobOptions: { backoff: { type: 'push', delay: 1000 } },
  },
} as const satisfies Record<string, { from: string; payload: z.ZodType; queues: readonly string[]; jobOptions?: { backoff?: { type: string; delay: number } } }>;

export type EventName = keyof typeof eventCatalogue;
export type EventPayload<E extends EventName> = z.infer<(typeof eventCatalogue)[E]['payload']>;
export type QueueName = (typeof eventCatalogue)[EventName]['queues'][number];

/** The job data on a queue: the event's name, its outbox id, and its payload. */
export interface EventJob<E extends EventName = EventName> {
  event: E;
  eventId: string;
  payload: EventPayload<E>;
  /** The W3C traceparent of the request that emitted the event (absent when tracing was off). */
  traceContext?: string;
}

/** Per-event job options (a backoff of its own) over DEFAULT_JOB_OPTIONS. */
export function jobOptionsOf(event: EventName): { backoff?: { type: string; delay: number } } {
  const entry = eventCatalogue[event] as { jobOptions?: { backoff?: { type: string; delay: number } } };
  return entry.jobOptions ?? {};
}

export function parseEventPayload<E extends EventName>(event: E, payload: unknown): EventPayload<E> {
  return eventCatalogue[event].payload.parse(payload) as EventPayload<E>;
}
