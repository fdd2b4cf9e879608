import pg from 'pg';
import { createCoalescer } from './coalescer';
import { EVENT_TOPICS, EVENTS_CHANNEL, parseTopic, type EventTopic } from './topics';

/**
 * One `LISTEN syncwatch` connection shared by every subscriber of a process: a plain pg client
 * outside the Prisma pool (a pooled connection would be handed to other queries and lose the
 * LISTEN). Notifications are coalesced (lib/events/coalescer.ts) and delivered to every
 * subscriber as one `{ topics }` event. When the connection drops (a server restart, a
 * terminated backend, a ping that is not answered) the hub tells subscribers it is down,
 * reconnects with capped exponential backoff, tells them it is back, and delivers one event with
 * every topic, since anything may have changed meanwhile. Plain TypeScript over a connection
 * string, so that it is tested against a real PostgreSQL; the app's instance is lib/events/hub.ts.
 */

export interface HubEvent {
  topics: EventTopic[];
}

export interface HubSubscriber {
  onEvent(event: HubEvent): void;
  /** The LISTEN connection went down (false) or came back (true). */
  onStatus?(live: boolean): void;
  /** The hub closed (process shutdown): end whatever was served from it. */
  onClose?(): void;
}

export interface EventHubOptions {
  connectionString: string;
  channel?: string;
  /** Trailing coalescing window, and the longest a topic waits for delivery. */
  windowMs?: number;
  maxDelayMs?: number;
  /** Reconnect delays: initialMs, doubled after each failed attempt, at most maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** A `SELECT 1` this often finds a connection that died without closing (0: never). */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** Names the connection in pg_stat_activity. */
  applicationName?: string;
  logger?: Pick<Console, 'info' | 'warn'>;
}

export interface EventHub {
  /** Adds a subscriber (connecting on the first one); returns its unsubscribe. */
  subscribe(subscriber: HubSubscriber): () => void;
  /** Whether the LISTEN connection is up now. */
  readonly live: boolean;
  readonly subscriberCount: number;
  /** Resolves with `live` once the first connection attempt has ended, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

type State = 'idle' | 'connecting' | 'live' | 'down' | 'closed';

export const EVENTS_APPLICATION_NAME = 'syncwatch-events';

export function createEventHub(options: EventHubOptions): EventHub {
  const channel = options.channel ?? EVENTS_CHANNEL;
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
  const logger = options.logger ?? console;
  const subscribers = new Set<HubSubscriber>();
  const waiters = new Set<() => void>();

  let state: State = 'idle';
  let client: pg.Client | null = null;
  let attempt = 0;
  // A drop or a failed attempt since the last live connection: the next one delivers every topic.
  let missed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let pingTimer: ReturnType<typeof setInterval> | null = null;

  const each = (fn: (s: HubSubscriber) => void) => {
    for (const s of [...subscribers]) {
      try {
        fn(s);
      } catch (err) {
        logger.warn('[events] a subscriber failed', err);
      }
    }
  };

  const coalescer = createCoalescer({
    windowMs: options.windowMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 1_000,
    deliver: (topics) => each((s) => s.onEvent({ topics })),
  });

  const setState = (next: 'live' | 'down') => {
    const changed = (state === 'live') !== (next === 'live');
    state = next;
    for (const wake of waiters) wake();
    if (changed) each((s) => s.onStatus?.(next === 'live'));
  };

  const stopPing = () => {
    if (pingTimer) clearInterval(pingTimer);
    pingTimer = null;
  };

  const lost = (c: pg.Client, err: unknown) => {
    if (c !== client || state === 'closed') return;
    client = null;
    stopPing();
    c.end().catch(() => {});
    const delay = Math.min(maxMs, initialMs * 2 ** attempt);
    if (!missed) {
      const why = err instanceof Error ? err.message : 'the connection ended';
      logger.warn(`[events] the LISTEN connection is down (${why}); reconnecting, pages fall back to polling`);
    }
    attempt++;
    missed = true;
    setState('down');
    retryTimer = setTimeout(connect, delay);
    retryTimer.unref?.();
  };

  const startPing = (c: pg.Client) => {
    if (pingIntervalMs <= 0) return;
    pingTimer = setInterval(() => {
      const timeout = setTimeout(() => lost(c, new Error(`no answer to a ping within ${pingTimeoutMs} ms`)), pingTimeoutMs);
      c.query('SELECT 1').then(
        () => clearTimeout(timeout),
        (err: unknown) => {
          clearTimeout(timeout);
          lost(c, err);
        },
      );
    }, pingIntervalMs);
    pingTimer.unref?.();
  };

  async function connect() {
    retryTimer = null;
    if (state === 'closed') return;
    if (state === 'idle') state = 'connecting';
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName ?? EVENTS_APPLICATION_NAME,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client = c;
    // Without an 'error' listener a dropped connection would crash the process.
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, null));
    c.on('notification', (msg) => {
      if (c !== client || msg.channel !== channel) return;
      const topic = parseTopic(msg.payload);
      if (topic) coalescer.add([topic]);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
    } catch (err) {
      lost(c, err);
      return;
    }
    if (c !== client) return;
    if (missed) logger.info(`[events] the LISTEN connection is back after ${attempt} attempt(s)`);
    const recovered = missed;
    attempt = 0;
    missed = false;
    startPing(c);
    setState('live');
    if (recovered) {
      coalescer.add(EVENT_TOPICS);
      coalescer.flush();
    }
  }

  return {
    subscribe(subscriber) {
      if (state === 'closed') throw new Error('the event hub is closed');
      subscribers.add(subscriber);
      if (state === 'idle') void connect();
      return () => {
        subscribers.delete(subscriber);
      };
    },
    get live() {
      return state === 'live';
    },
    get subscriberCount() {
      return subscribers.size;
    },
    settled(timeoutMs) {
      if (state !== 'idle' && state !== 'connecting') return Promise.resolve(state === 'live');
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve(state === 'live');
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      if (retryTimer) clearTimeout(retryTimer);
      stopPing();
      coalescer.cancel();
      for (const wake of waiters) wake();
      each((s) => s.onClose?.());
      subscribers.clear();
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
