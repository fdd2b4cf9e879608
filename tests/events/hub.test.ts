import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../../lib/events/coalescer';
import { createEventHub, type EventHub, type HubEvent } from '../../lib/events/event-hub';
import { EVENT_TOPICS, parseTopic } from '../../lib/events/topics';
import { rawClient, testDatabaseUrl } from '../support/db';

/**
 * The event hub against this file's real PostgreSQL: NOTIFY from a plain client, the hub's own
 * LISTEN connection terminated with pg_terminate_backend, as a server restart would drop it.
 */

let c: pg.Client;
const hubs: EventHub[] = [];
const quiet = { info: () => {}, warn: () => {} };

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

function openHub() {
  const applicationName = `syncwatch-events-test-${randomBytes(4).toString('hex')}`;
  const hub = createEventHub({
    connectionString: testDatabaseUrl,
    applicationName,
    windowMs: 250,
    maxDelayMs: 1_000,
    backoff: { initialMs: 50, maxMs: 400 },
    logger: quiet,
  });
  hubs.push(hub);
  const events: HubEvent[] = [];
  const statuses: boolean[] = [];
  hub.subscribe({ onEvent: (e) => events.push(e), onStatus: (live) => statuses.push(live) });
  return { hub, events, statuses, applicationName };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `events` has not grown for `ms`. */
async function settle(events: unknown[], ms = 700) {
  let seen = -1;
  while (seen !== events.length) {
    seen = events.length;
    await new Promise((r) => setTimeout(r, ms));
  }
}

const union = (events: HubEvent[]) => [...new Set(events.flatMap((e) => e.topics))].sort();

describe('the event hub', () => {
  it('connects on the first subscriber and turns 1,000 notifications in one transaction into one event', async () => {
    const { hub, events } = openHub();
    expect(await hub.settled(5_000)).toBe(true);
    // PostgreSQL folds identical notifications of one transaction; the topics vary, so four
    // distinct payloads (one unknown) reach the hub at commit.
    await c.query(
      `SELECT pg_notify('syncwatch', (ARRAY['desyncs','jobs','checks','nonsense'])[1 + g % 4]) FROM generate_series(1, 1000) g`,
    );
    await until('the burst', () => events.length > 0);
    await settle(events);
    expect(events).toEqual([{ topics: ['desyncs', 'jobs', 'checks'] }]);
  });

  it('coalesces 200 separate commits into a handful of events holding their topics', async () => {
    const { hub, events } = openHub();
    await hub.settled(5_000);
    const started = Date.now();
    for (let i = 0; i < 200; i++) await c.query(`SELECT pg_notify('syncwatch', $1)`, [i % 2 ? 'jobs' : 'checks']);
    const elapsed = Date.now() - started;
    await until('the commits', () => events.length > 0);
    await settle(events);
    // One event at most per max delay (1 s) of notifying, and one more for the tail.
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1_000) + 2);
    expect(events.length).toBeLessThan(10);
    expect(union(events)).toEqual(['checks', 'jobs']);
    for (const e of events) expect(e.topics.every((t) => t === 'checks' || t === 'jobs')).toBe(true);
  });

  it('ignores unknown topics and other channels', async () => {
    const { hub, events } = openHub();
    await hub.settled(5_000);
    await c.query(`NOTIFY syncwatch, 'bogus'`);
    await c.query(`NOTIFY syncwatch, ''`);
    await c.query(`NOTIFY syncwatch, 'desyncs,jobs'`);
    await c.query(`NOTIFY other_channel, 'desyncs'`);
    await new Promise((r) => setTimeout(r, 600));
    expect(events).toEqual([]);
    await c.query(`NOTIFY syncwatch, 'desyncs'`);
    await until('the known topic', () => events.length > 0);
    expect(events).toEqual([{ topics: ['desyncs'] }]);
  });

  it('reports down, reconnects, reports up and delivers every topic when its connection is terminated', async () => {
    const { hub, events, statuses, applicationName } = openHub();
    expect(await hub.settled(5_000)).toBe(true);
    const { rows } = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [applicationName],
    );
    expect(rows).toHaveLength(1);
    await c.query(`SELECT pg_terminate_backend($1)`, [rows[0]!.pid]);

    await until('down', () => statuses.includes(false));
    await until('up again', () => statuses.at(-1) === true && hub.live);
    expect(statuses).toEqual([true, false, true]);
    await until('the catch-up event', () => events.length > 0);
    expect(events[0]).toEqual({ topics: [...EVENT_TOPICS] });

    // A new connection, listening again.
    const after = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
    expect(after.rows.map((r) => r.pid)).not.toContain(rows[0]!.pid);
    await settle(events, 300);
    events.length = 0;
    await c.query(`NOTIFY syncwatch, 'jobs'`);
    await until('a later notification', () => events.length > 0);
    expect(events).toEqual([{ topics: ['jobs'] }]);
  });

  it('retries with backoff while the database is unreachable, saying it is down', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const hub = createEventHub({
      connectionString: 'postgresql://nobody:nothing@127.0.0.1:1/none',
      backoff: { initialMs: 20, maxMs: 40 },
      logger,
    });
    hubs.push(hub);
    const statuses: boolean[] = [];
    hub.subscribe({ onEvent: () => {}, onStatus: (live) => statuses.push(live) });
    expect(await hub.settled(5_000)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    // Never live, so no change to report; the outage is logged once, not at every attempt.
    expect(statuses).toEqual([]);
    expect(hub.live).toBe(false);
    expect(logger.warn).toHaveBeenCalledOnce();
    expect(String(logger.warn.mock.calls[0]![0])).not.toContain('nothing');
  });

  it('tells subscribers when it closes, and refuses new ones', async () => {
    const hub = createEventHub({ connectionString: testDatabaseUrl, logger: quiet });
    const closed = vi.fn();
    hub.subscribe({ onEvent: () => {}, onClose: closed });
    await hub.settled(5_000);
    await hub.close();
    expect(closed).toHaveBeenCalledOnce();
    expect(hub.subscriberCount).toBe(0);
    expect(() => hub.subscribe({ onEvent: () => {} })).toThrow(/closed/);
  });
});

describe('the coalescer', () => {
  it('delivers after a quiet window, and no later than the max delay under a steady stream', () => {
    vi.useFakeTimers();
    try {
      const delivered: string[][] = [];
      const co = createCoalescer({ windowMs: 250, maxDelayMs: 1_000, deliver: (t) => delivered.push(t) });
      co.add(['jobs']);
      vi.advanceTimersByTime(200);
      co.add(['desyncs', 'jobs']);
      vi.advanceTimersByTime(200);
      expect(delivered).toEqual([]);
      vi.advanceTimersByTime(60);
      expect(delivered).toEqual([['desyncs', 'jobs']]);

      // A notification every 100 ms: never quiet for 250 ms, delivered each second all the same.
      for (let i = 0; i < 25; i++) {
        co.add(['checks']);
        vi.advanceTimersByTime(100);
      }
      expect(delivered.length).toBe(1 + 2);
      vi.advanceTimersByTime(1_000);
      expect(delivered.length).toBe(4);
      expect(delivered.slice(1)).toEqual([['checks'], ['checks'], ['checks']]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads only known topics', () => {
    expect(parseTopic('desyncs')).toBe('desyncs');
    expect(parseTopic(' jobs\n')).toBe('jobs');
    for (const bad of ['', 'Jobs', 'desyncs,jobs', undefined]) expect(parseTopic(bad)).toBeNull();
  });
});
