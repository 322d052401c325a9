/**
 * The events waiting for one subscription, bounded: overflowing it means the client cannot keep up
 * (its socket is then closed, so memory stays bounded whatever one slow client does).
 */
export interface EventQueue {
  push(id: string): void;
  /** The next event id, or null once the queue has ended. */
  next(): Promise<string | null>;
  end(): void;
}

export function eventQueue(max: number, onOverflow: () => void): EventQueue {
  const items: string[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  return {
    push(id) {
      if (done) return;
      if (items.length >= max) {
        done = true;
        onOverflow();
      } else items.push(id);
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
