/**
 * The events waiting for one subscription, bounded: overflowing it means the client cannot keep up
 * (its socket is then closed, so memory stays bounded whatever one slow client does).
 */
export interface QueuedEvent {
  id: string;
  /** When its owner published it (ms since the epoch), if the message said. */
  publishedAt: number | null;
}

export interface EventQueue {
  push(event: QueuedEvent): void;
  /** The next event, or null once the queue has ended. */
  next(): Promise<QueuedEvent | null>;
  end(): void;
}

export function eventQueue(max: number, onOverflow: () => void): EventQueue {
  const items: QueuedEvent[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  return {
    push(event) {
      if (done) return;
      if (items.length >= max) {
        done = true;
        onOverflow();
      } else items.push(event);
      wake?.();
    },
    async next() {
      while (items.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      return done ? null : (items.shift() ?? null);
    },
    end() {
      done = true;
      wake?.();
    },
  };
}
