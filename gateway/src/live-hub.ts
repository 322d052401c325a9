import { Redis } from 'ioredis';
import type { Logger } from '@shutter/service';

/**
 * This gateway process's one Redis subscriber connection, shared by all its sockets: a channel is
 * SUBSCRIBEd when its first listener arrives and UNSUBSCRIBEd when its last leaves. Each gateway
 * process listens only for the sockets it holds, so with several gateways an event reaches a
 * client once: through the gateway its socket is on.
 */
export class LiveHub {
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<(message: string) => void>>();

  constructor(redisUrl: string, private readonly logger: Logger) {
    // Reconnects re-subscribe on their own (ioredis autoResubscribe).
    this.subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
    });
    this.subscriber.on('error', (err) => this.logger.warn({ err }, 'live hub: redis error'));
  }

  /** Listens on channels; the returned function stops listening. */
  async listen(channels: string[], listener: (message: string) => void): Promise<() => Promise<void>> {
    const fresh: string[] = [];
    for (const channel of channels) {
      let set = this.listeners.get(channel);
      if (!set) {
        set = new Set();
        this.listeners.set(channel, set);
        fresh.push(channel);
      }
      set.add(listener);
    }
    const unlisten = async () => {
      const stale: string[] = [];
      for (const channel of channels) {
        const set = this.listeners.get(channel);
        set?.delete(listener);
        if (set && set.size === 0) {
          this.listeners.delete(channel);
          stale.push(channel);
        }
      }
      // Also when not connected: ioredis would otherwise re-subscribe them on reconnect.
      if (stale.length > 0) await this.subscriber.unsubscribe(...stale).catch(() => undefined);
    };
    if (fresh.length > 0) {
      try {
        await this.subscriber.subscribe(...fresh);
      } catch (err) {
        await unlisten();
        throw err;
      }
    }
    return unlisten;
  }

  /** The channels listened on now, with how many subscriptions each (for readiness checks and debugging). */
  channels(): Record<string, number> {
    return Object.fromEntries([...this.listeners].map(([channel, set]) => [channel, set.size]));
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
