import { sortTopics, type EventTopic } from './topics';

/**
 * Collects topics and delivers them as one batch: `windowMs` after the last one arrived
 * (trailing), and never later than `maxDelayMs` after the first one of the batch, so a steady
 * stream of commits still gets through. A bulk statement or 1,000 commits a second become a few
 * deliveries, each naming every topic that was seen.
 */

export interface CoalescerOptions {
  windowMs: number;
  maxDelayMs: number;
  deliver: (topics: EventTopic[]) => void;
}

export interface Coalescer {
  add(topics: Iterable<EventTopic>): void;
  /** Delivers what is pending now (nothing when empty). */
  flush(): void;
  /** Drops what is pending. */
  cancel(): void;
}

export function createCoalescer({ windowMs, maxDelayMs, deliver }: CoalescerOptions): Coalescer {
  if (!(windowMs >= 0 && maxDelayMs >= windowMs)) throw new RangeError('need 0 <= windowMs <= maxDelayMs');
  const pending = new Set<EventTopic>();
  let firstAt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  const flush = () => {
    clear();
    if (pending.size === 0) return;
    const topics = sortTopics(pending);
    pending.clear();
    deliver(topics);
  };

  return {
    add(topics) {
      const before = pending.size;
      for (const t of topics) pending.add(t);
      if (pending.size === 0) return;
      const now = Date.now();
      if (before === 0) firstAt = now;
      clear();
      const wait = Math.max(0, Math.min(windowMs, firstAt + maxDelayMs - now));
      timer = setTimeout(flush, wait);
      timer.unref?.();
    },
    flush,
    cancel() {
      clear();
      pending.clear();
    },
  };
}
