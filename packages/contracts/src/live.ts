import { z } from 'zod';
import { callEndpoint, defineEndpoint, type CallOptions, type ServiceAddress } from './endpoint.ts';

/**
 * Live subscriptions between the gateway and the subgraph that owns a Subscription field.
 *
 * Apollo Gateway executes no subscriptions, so the gateway serves graphql-ws itself; but what a
 * subscription listens to is the owner's business (the feed knows who counts as a celebrity, the
 * gateway does not). When a client subscribes, the gateway asks the owner, as the viewer, which
 * Redis pub/sub channels to listen on and which Query field resolves one event's id. The owner
 * publishes `LiveMessage`s on those channels.
 */
export const liveChannelsEndpoint = defineEndpoint({
  path: '/internal/live-channels',
  /** The Subscription field being subscribed to; the viewer travels in the signed headers. */
  request: z.object({ field: z.string().min(1).max(100) }),
  response: z.object({
    /** Every channel to listen on for this viewer and field. */
    channels: z.array(z.string().min(1).max(300)).min(1).max(10_000),
    /** A Query field with an `id: ID!` argument that resolves an event's id for the viewer. */
    hydrateWith: z.string().min(1).max(100),
  }),
});

/**
 * What the owner publishes: an event (the id of what happened, resolved by the gateway for each
 * subscriber through `hydrateWith`), or `refresh`: the viewer's channels have changed (they
 * followed a celebrity, or an author they follow became one), so ask for them again.
 */
export const liveMessage = z.union([
  // at: when it was published (ms since the epoch), from which the gateway measures delivery latency.
  z.object({ id: z.string().min(1).max(100), at: z.number().int().nonnegative().optional() }),
  z.object({ refresh: z.literal(true) }),
]);
export type LiveMessage = z.infer<typeof liveMessage>;

export const liveEvent = (id: string): string => JSON.stringify({ id, at: Date.now() } satisfies LiveMessage);
export const LIVE_REFRESH: string = JSON.stringify({ refresh: true } satisfies LiveMessage);

/** A message off a channel, or null when it is not one (logged and skipped by the caller). */
export function parseLiveMessage(raw: string): LiveMessage | null {
  try {
    const parsed = liveMessage.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export class LiveChannelsClient {
  constructor(private readonly service: ServiceAddress) {}

  channels(field: string, viewerId: string, options?: Omit<CallOptions, 'viewerId'>) {
    return callEndpoint(this.service, liveChannelsEndpoint, { field }, { ...options, viewerId });
  }
}
