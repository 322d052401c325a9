import { parseLiveMessage } from '@shutter/contracts';
import type { Logger } from '@shutter/service';
import { liveDeliveryLatency } from '@shutter/telemetry';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { CLOSE, closeSocket, type SocketViewer } from './auth.ts';
import { eventQueue } from './event-queue.ts';
import type { HubListener, LiveHub } from './hub.ts';
import type { HydrationPlan } from './shared-hydration.ts';

const HYDRATION_TIMEOUT_MS = 10_000;

export interface LiveSubscriptionOptions {
  socket: WebSocket;
  viewer: SocketViewer;
  hub: LiveHub;
  /** The channels to listen on now: asked of the field's owner at start, and again on each refresh. */
  channels(): Promise<string[]>;
  initialChannels: string[];
  /** The hydration query (split for sharing), and the client's variables. */
  plan: HydrationPlan;
  variables: Record<string, unknown>;
  /** Resolves one event for the viewer (EventHydrator: shared with the other sockets that get it). */
  hydrate(plan: HydrationPlan, eventId: string, variables: Record<string, unknown>, viewerId: string): Promise<ExecutionResult>;
  limits: { maxPendingEvents: number; maxBufferedBytes: number };
  logger: Logger;
}

/**
 * One subscription's stream: the ids published on its channels, each resolved through the
 * supergraph for the viewer (one at a time per socket, so events arrive in order), with bounded
 * memory: a client whose queue or socket buffer overflows is closed with 1013. A refresh from the
 * owner re-reads the channels. It is an iterator graphql-ws can end at any time with return().
 */
export function liveSubscription(options: LiveSubscriptionOptions): AsyncIterableIterator<ExecutionResult> {
  const { socket, viewer, hub, limits, logger } = options;
  const queue = eventQueue(limits.maxPendingEvents, () => closeSocket(socket, CLOSE.slowConsumer, 'Slow consumer: reconnect'));
  let refreshing: Promise<void> | null = null;

  async function* events(): AsyncGenerator<ExecutionResult> {
    let listener: HubListener;
    try {
      listener = await hub.listen(options.initialChannels, (raw) => {
        const message = parseLiveMessage(raw);
        if (!message) logger.warn({ message: raw }, 'live message is not one of the contract; skipped');
        else if ('id' in message) queue.push({ id: message.id, publishedAt: message.at ?? null });
        else refreshing ??= refresh().finally(() => (refreshing = null));
      });
    } catch (err) {
      // graphql-ws sends a thrown error's message as it is: say nothing internal.
      logger.error({ err }, 'live subscription could not start');
      throw new GraphQLError('Live updates are unavailable right now; try again.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
    async function refresh() {
      try {
        await listener.update(await options.channels());
      } catch (err) {
        logger.error({ err }, 'live subscription: its channels could not be refreshed; it keeps the ones it had');
      }
    }
    try {
      for (let event = await queue.next(); event !== null; event = await queue.next()) {
        if (socket.bufferedAmount > limits.maxBufferedBytes) {
          closeSocket(socket, CLOSE.slowConsumer, 'Slow consumer: reconnect');
          return;
        }
        const eventId = event.id;
        // A deadline, so a stuck subgraph costs this event, not the socket's whole queue.
        const hydrated = viewer.chain.then(() => {
          let deadline: NodeJS.Timeout | undefined;
          return Promise.race([
            options.hydrate(options.plan, eventId, options.variables, viewer.userId),
            new Promise<never>((_, reject) => (deadline = setTimeout(() => reject(new Error('hydration timed out')), HYDRATION_TIMEOUT_MS).unref())),
          ]).finally(() => clearTimeout(deadline));
        });
        viewer.chain = hydrated.catch(() => undefined);
        let result: ExecutionResult;
        try {
          result = await hydrated;
        } catch (err) {
          logger.error({ err, eventId }, 'live event: hydration failed; skipped');
          continue;
        }
        const data = result.data as Record<string, unknown> | null | undefined;
        // Gone by now (deleted, or not the viewer's to see): nothing to send.
        if (!data || Object.values(data).some((v) => v === null)) {
          if (result.errors?.length) logger.warn({ errors: result.errors, eventId }, 'live event: hydration errors');
          continue;
        }
        // Published → hydrated → handed to graphql-ws, which sends it at once (clocks of two
        // machines: a skew below zero counts as zero).
        if (event.publishedAt !== null) liveDeliveryLatency.observe(Math.max(0, Date.now() - event.publishedAt) / 1000);
        yield result;
      }
    } finally {
      queue.end();
      await refreshing;
      await listener.close();
    }
  }

  const stream = events();
  // A generator waiting for the next event would take a return() (the client's "complete", or the
  // socket closing) only when an event comes; ending the queue first lets it finish now and
  // release its Redis channels.
  const stop = async (): Promise<IteratorResult<ExecutionResult>> => {
    queue.end();
    return stream.return(undefined);
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: () => stream.next(),
    return: stop,
    throw: stop,
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
