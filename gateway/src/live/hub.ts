import { createRequestRedisConnection, type Logger, type RedisClient } from '@shutter/service';

/** One listener's channels: changed as the owner says (a refresh), closed when it ends. */
export interface HubListener {
  /** Listens on exactly these channels from now on. */
  update(channels: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * This gateway process's one Redis subscriber connection, shared by all its sockets: a channel is
 * SUBSCRIBEd when its first listener arrives and UNSUBSCRIBEd when its last leaves. Each gateway
 * process listens only for the sockets it holds, so with several gateways an event reaches a
 * client once: through the gateway its socket is on.
 */
export class LiveHub {
  private readonly subscriber: RedisClient;
  private readonly listeners = new Map<string, Set<(message: string) => void>>();
  /** Channels whose UNSUBSCRIBE could not be sent (Redis was away): sent once it is back. */
  private readonly unsubscribeLater = new Set<string>();

  constructor(redisUrl: string, logger: Logger) {
    // A request-path client: a subscription set up while Redis is away fails at once ("live updates
    // are unavailable") instead of waiting; reconnects re-subscribe on their own (autoResubscribe).
    this.subscriber = createRequestRedisConnection(redisUrl, logger);
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
    });
    this.subscriber.on('ready', () => {
      // ioredis re-subscribes what it was subscribed to when the connection dropped, including
      // channels whose last listener left meanwhile: those go now.
      const stale = [...this.unsubscribeLater].filter((c) => !this.listeners.has(c));
      this.unsubscribeLater.clear();
      if (stale.length > 0) this.subscriber.unsubscribe(...stale).catch(() => stale.forEach((c) => this.unsubscribeLater.add(c)));
    });
  }

  /** Its Redis connection (readiness checks it). */
  get redis(): RedisClient {
    return this.subscriber;
  }

  /** Listens on channels with one listener; what it returns changes or ends that. */
  async listen(channels: readonly string[], listener: (message: string) => void): Promise<HubListener> {
    let current = new Set<string>();
    const add = async (added: string[]) => {
      const fresh: string[] = [];
      for (const channel of added) {
        let set = this.listeners.get(channel);
        if (!set) {
          set = new Set();
          this.listeners.set(channel, set);
          fresh.push(channel);
        }
        set.add(listener);
      }
      if (fresh.length > 0) await this.subscriber.subscribe(...fresh);
    };
    const remove = async (removed: string[]) => {
      const stale: string[] = [];
      for (const channel of removed) {
        const set = this.listeners.get(channel);
        set?.delete(listener);
        if (set && set.size === 0) {
          this.listeners.delete(channel);
          stale.push(channel);
        }
      }
      // Not connected: ioredis would re-subscribe them on reconnect, so they are sent then.
      if (stale.length > 0) await this.subscriber.unsubscribe(...stale).catch(() => stale.forEach((c) => this.unsubscribeLater.add(c)));
    };
    const handle: HubListener = {
      update: async (channels) => {
        const next = new Set(channels);
        const added = [...next].filter((c) => !current.has(c));
        const removed = [...current].filter((c) => !next.has(c));
        current = next;
        try {
          await add(added);
        } finally {
          await remove(removed);
        }
      },
      close: async () => {
        const all = [...current];
        current = new Set();
        await remove(all);
      },
    };
    try {
      await handle.update(channels);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return handle;
  }

  /** The channels listened on now, with how many subscriptions each (for readiness checks and debugging). */
  channels(): Record<string, number> {
    return Object.fromEntries([...this.listeners].map(([channel, set]) => [channel, set.size]));
  }

  async close(): Promise<void> {
    this.listeners.clear();
    // QUIT waits for a reply (forever, from a Redis that accepted the connection but does not
    // answer): after a second the connection is simply dropped, so a shutdown always ends.
    const quit = this.subscriber.quit().catch(() => undefined);
    await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.subscriber.disconnect();
  }
}
