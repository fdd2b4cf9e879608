import { createParser } from 'eventsource-parser';
import pg from 'pg';
import { queryKeysFor } from '../../components/live/live-topics';
import { queryKeys } from '../../components/query-keys';
import type { DashboardData } from '../../lib/data/dto';
import type { Db } from '../../lib/db/prisma';
import {
  EVENT_TOPICS,
  invalidateDataSchema,
  liveDataSchema,
  parseEventData,
  STREAM_EVENTS,
  type EventTopic,
} from '../../lib/events/topics';
import { recordProgress, type Actor } from '../../lib/sync';
import { CALLERS } from './coupled-writes';
import { consistentIn, randomLoadPair, RESERVED } from './dataset';
import { log } from './log';
import { percentile, round, sleep } from './stats';

/**
 * (1) Desync freshness under write load. A raw pg client of its own (application_name
 * bench-breaker, as a legacy writer) breaks a consistent pair or heals one it broke, at random
 * moments, while recordProgress runs at about half its measured maximum rate on the engine's
 * pool. For each commit:
 *   (a) commit -> entry visible in current_desyncs (added for a break, gone for a heal): a second
 *       connection polls right after the UPDATE (autocommit) returns; and, for breaks, the entry's
 *       `since` (the judge's clock_timestamp() at commit) minus the client's time when COMMIT returned;
 *   (b) with a production server: commit -> an `invalidate` event naming `desyncs` received by a
 *       client of GET /api/events (staff session), parsed with eventsource-parser;
 *   (c) with a production server, the figure as an admin sees it: commit -> the change (the
 *       desync count, one more for a break, one less for a heal) in a response of GET
 *       /api/dashboard fetched by a client that behaves like the dashboard page (openDashboardPage):
 *       it refetches on an event naming one of the page's topics and otherwise polls at the page's
 *       own interval.
 * The next write waits for the previous one's event and view (or 5 s each), then a random 0-500 ms,
 * so that each event is the one of its commit (the hub coalesces: 250 ms trailing, at most 1 s).
 */

export interface SseTarget {
  baseUrl: string;
  cookie: string;
}

/** How long a commit waits for its event, and then for the page's view of it; a sample past that is a miss. */
export const MISS_AFTER_MS = 5_000;

interface EventClient {
  /** Resolves with performance.now() of the first `invalidate` naming desyncs received after `after`. */
  next(after: number, timeoutMs: number): Promise<number>;
  readonly ready: Promise<void>;
  close(): void;
  events: number;
}

interface StreamListeners {
  /** Each `invalidate`, with its (known) topics and performance.now() at receipt. */
  onInvalidate?: (topics: readonly EventTopic[], at: number) => void;
  /** `ready` and `status`: whether the server's LISTEN connection is up. */
  onLive?: (live: boolean) => void;
}

/** Waits until `wake` is called or `ms` pass; `arm` receives the wake function. */
function nap(ms: number, arm: (wake: (() => void) | null) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      arm(null);
      resolve();
    }, ms);
    arm(() => {
      clearTimeout(timer);
      arm(null);
      resolve();
    });
  });
}

/** A client of GET /api/events (as the page's EventSource): the `invalidate` events naming desyncs, and listeners. */
function openEventClient({ baseUrl, cookie }: SseTarget, listeners: StreamListeners = {}): EventClient {
  const controller = new AbortController();
  const received: number[] = [];
  let wake: (() => void) | null = null;
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const client: EventClient = {
    events: 0,
    ready,
    async next(after, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const hit = received.find((t) => t >= after);
        if (hit !== undefined) {
          received.splice(0, received.length);
          return hit;
        }
        const left = deadline - performance.now();
        if (left <= 0) return Number.NaN;
        await nap(left, (w) => (wake = w));
      }
    },
    close: () => controller.abort(),
  };
  const parser = createParser({
    onEvent: (e) => {
      const at = performance.now();
      if (e.event === STREAM_EVENTS.ready || e.event === STREAM_EVENTS.status) {
        const status = parseEventData(liveDataSchema, e.data);
        if (status) listeners.onLive?.(status.live);
        if (e.event === STREAM_EVENTS.ready) readyResolve();
      }
      if (e.event !== STREAM_EVENTS.invalidate) return;
      client.events++;
      const data = parseEventData(invalidateDataSchema, e.data);
      if (!data) return;
      if (data.topics.includes('desyncs')) {
        received.push(at);
        wake?.();
      }
      if (data.topics.length) listeners.onInvalidate?.(data.topics, at);
    },
  });
  void (async () => {
    try {
      const res = await fetch(`${baseUrl}/api/events`, {
        headers: { cookie, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (err) {
      if (!controller.signal.aborted) readyReject(err as Error);
    }
  })();
  return client;
}

/** The dashboard page's data route (components/dashboard/dashboard-live.tsx, query key `dashboard`). */
export const DASHBOARD_ROUTE = '/api/dashboard';

/** The topics whose events refetch the dashboard's query (the page's own mapping, components/live/live-topics.ts). */
export const PAGE_TOPICS: readonly EventTopic[] = EVENT_TOPICS.filter((t) =>
  queryKeysFor([t]).some((k) => JSON.stringify(k) === JSON.stringify(queryKeys.dashboard)),
);

/** components/dashboard/dashboard-live.tsx: while the stream is live the page polls at most this often. */
const LIVE_FALLBACK_SECONDS = 60;

/** components/dashboard/dashboard-live.tsx timeoutFor: a poll that hangs fails after this long. */
const fetchTimeoutMs = (seconds: number) => Math.min(Math.max(seconds * 1000, 5_000), 10_000);

export interface DashboardView {
  /** performance.now() when the response's body was read. */
  at: number;
  /** Desynced pairs in the answer's figures (totalPairs - consistentPairs), null without figures. */
  desyncs: number | null;
}

export interface DashboardPage {
  readonly ready: Promise<void>;
  /** The page's event stream (its `invalidate` events naming desyncs, for figure (b)). */
  readonly stream: EventClient;
  /** The first view received at or after `after` that satisfies `match`: its time, or NaN after `timeoutMs`. */
  viewAfter(after: number, match: (v: DashboardView) => boolean, timeoutMs: number): Promise<number>;
  /** The latest view (after `ready`: the first answer, as the page's server-rendered data). */
  latest(): DashboardView | null;
  close(): void;
  stats(): { fetches: number; cancelled: number; failures: number; eventRefetches: number; polls: number; live: boolean };
}

/**
 * A client that fetches what the dashboard page fetches, when the page fetches it: one GET
 * /api/events held open (the page's one EventSource per tab); on an `invalidate` naming one of
 * PAGE_TOPICS it refetches GET /api/dashboard at once, cancelling a fetch in flight (react-query's
 * invalidateQueries, cancelRefetch); and it polls the route `pollSeconds` (DASHBOARD_POLL_SECONDS)
 * after each answer while the stream is down, every max(pollSeconds, 60) s while it is live
 * (react-query restarts the interval at each update of the query). Gzip accepted like a browser.
 */
export function openDashboardPage({ baseUrl, cookie }: SseTarget, pollSeconds: number): DashboardPage {
  const views: DashboardView[] = [];
  let inFlight: AbortController | null = null;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let live = false;
  let closed = false;
  let wake: (() => void) | null = null;
  const counts = { fetches: 0, cancelled: 0, failures: 0, eventRefetches: 0, polls: 0 };
  const schedulePoll = () => {
    clearTimeout(pollTimer);
    if (closed) return;
    const seconds = live ? Math.max(pollSeconds, LIVE_FALLBACK_SECONDS) : pollSeconds;
    pollTimer = setTimeout(() => {
      counts.polls++;
      void refetch(false);
    }, seconds * 1000);
  };
  const refetch = async (cancel: boolean) => {
    if (closed) return;
    if (inFlight) {
      if (!cancel) return;
      inFlight.abort();
      counts.cancelled++;
    }
    const mine = new AbortController();
    inFlight = mine;
    counts.fetches++;
    try {
      const res = await fetch(`${baseUrl}${DASHBOARD_ROUTE}`, {
        headers: { cookie, accept: 'application/json', 'accept-encoding': 'gzip, deflate, br' },
        cache: 'no-store',
        signal: AbortSignal.any([mine.signal, AbortSignal.timeout(fetchTimeoutMs(pollSeconds))]),
      });
      if (!res.ok) throw new Error(`GET ${DASHBOARD_ROUTE} answered ${res.status}`);
      const body = (await res.json()) as DashboardData;
      if (mine.signal.aborted) return;
      views.push({ at: performance.now(), desyncs: body.latest ? body.latest.totalPairs - body.latest.consistentPairs : null });
      if (views.length > 1000) views.splice(0, views.length - 100);
      wake?.();
    } catch {
      if (!mine.signal.aborted) counts.failures++;
    } finally {
      if (inFlight === mine) {
        inFlight = null;
        schedulePoll();
      }
    }
  };
  const stream = openEventClient(
    { baseUrl, cookie },
    {
      onLive: (l) => {
        live = l;
      },
      onInvalidate: (topics) => {
        if (!topics.some((t) => PAGE_TOPICS.includes(t))) return;
        counts.eventRefetches++;
        void refetch(true);
      },
    },
  );
  const ready = stream.ready.then(async () => {
    await refetch(true);
    if (!views.length) throw new Error(`The dashboard page's first GET ${DASHBOARD_ROUTE} failed.`);
  });
  return {
    ready,
    stream,
    async viewAfter(after, match, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const hit = views.find((v) => v.at >= after && match(v));
        if (hit) return hit.at;
        const left = deadline - performance.now();
        if (left <= 0) return Number.NaN;
        await nap(left, (w) => (wake = w));
      }
    },
    latest: () => views.at(-1) ?? null,
    close() {
      closed = true;
      clearTimeout(pollTimer);
      inFlight?.abort();
      stream.close();
    },
    stats: () => ({ ...counts, live }),
  };
}

/** recordProgress at `rate` calls per second from CALLERS loops (open loop, paced), until stopped. */
function paceLoad(db: Db, pairs: number, rate: number) {
  const actor: Actor = { label: 'bench-load', source: 'APP' };
  let stop = false;
  let done = 0;
  let errors = 0;
  let k = 0;
  const start = performance.now();
  const loops = Array.from({ length: CALLERS }, async () => {
    while (!stop) {
      const at = start + (k++ * 1000) / rate;
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      if (stop) break;
      const [g, s] = randomLoadPair(pairs);
      try {
        await recordProgress(db, g, s, { xpGained: 1, sessionsCompleted: 0 }, actor);
        done++;
      } catch {
        errors++;
      }
    }
  });
  return {
    async stop() {
      stop = true;
      await Promise.all(loops);
      const seconds = (performance.now() - start) / 1000;
      return { perSecond: done / seconds, errors };
    },
  };
}

interface Target {
  g: number;
  spec: string;
  level: number;
  broken: boolean;
}

export interface FreshnessOptions {
  url: string;
  db: Db;
  pairs: number;
  /** recordProgress's measured maximum (tx/s at 16 callers): the load runs at half of it. */
  maxRate: number;
  samples: number;
  sse?: SseTarget;
  /** The page's poll interval when its stream is down (DASHBOARD_POLL_SECONDS); with `sse`. */
  pollSeconds?: number;
}

/** Latencies of each sample (ms; a miss is MISS_AFTER_MS): the set, the event, the page's view. */
export interface FreshnessSamples {
  setMs: number[];
  eventMs: number[];
  pageMs: number[];
}

const pct = (xs: number[], p: number) => (xs.length ? round(percentile(xs, p), 2) : null);

/** The freshness run, with every sample's latency (the size slope pools them: reference.ts). */
export async function runFreshness(opts: FreshnessOptions) {
  const { url, db, pairs, maxRate, samples, sse } = opts;
  const pollSeconds = opts.pollSeconds ?? 10;
  const breaker = new pg.Client({ connectionString: url, application_name: 'bench-breaker' });
  const poller = new pg.Client({ connectionString: url, application_name: 'bench-poller' });
  await breaker.connect();
  await poller.connect();
  const learners = consistentIn(RESERVED.freshness, pairs);
  const { rows } = await breaker.query<{ user_id: number; specialization_id: string; current_level: number }>(
    `SELECT user_id, specialization_id, current_level FROM user_licenses WHERE user_id = ANY ($1::int[])`,
    [learners],
  );
  const targets: Target[] = rows.map((r) => ({ g: r.user_id, spec: r.specialization_id, level: r.current_level, broken: false }));
  // One stream, as the page's one EventSource per tab: (b) reads its events, (c) the page's fetches.
  const page = sse ? openDashboardPage(sse, pollSeconds) : null;
  const events = page?.stream ?? null;
  if (page) await page.ready;
  // The page's desync count before the first break: each break adds one, each heal removes one.
  const base = page?.latest()?.desyncs ?? null;
  if (page && base === null) throw new Error(`GET ${DASHBOARD_ROUTE} has no figures (latest is null).`);
  const rate = maxRate / 2;
  const load = paceLoad(db, pairs, rate);
  log(`  ${samples} breaks and heals at random moments; recordProgress load at ${rate.toFixed(0)} tx/s (half of ${maxRate.toFixed(0)})`);
  if (page) {
    log(
      `  the dashboard page's client: GET ${DASHBOARD_ROUTE} on events naming ${PAGE_TOPICS.join(', ')}, ` +
        `polling every ${Math.max(pollSeconds, LIVE_FALLBACK_SECONDS)} s while live (${pollSeconds} s while the stream is down); ` +
        `${base} desyncs shown before the first break`,
    );
  }
  const visibleMs: number[] = [];
  const sinceMinusCommitMs: number[] = [];
  const eventMs: number[] = [];
  const pageMs: number[] = [];
  let polls = 0;
  let missedEvents = 0;
  let missedViews = 0;
  let breaks = 0;
  let loadFigures = { perSecond: 0, errors: 0 };
  try {
    await sleep(1000); // the load reaches its pace
    for (let i = 0; i < samples; i++) {
      await sleep(Math.random() * 500);
      const broken = targets.filter((t) => t.broken);
      const heal = broken.length > 0 && (broken.length >= 20 || Math.random() < 0.5);
      const pool = heal ? broken : targets.filter((t) => !t.broken);
      const t = pool[Math.floor(Math.random() * pool.length)]!;
      const level = heal ? t.level : t.level === 1 ? 2 : t.level - 1;
      const issued = performance.now();
      await breaker.query('UPDATE user_licenses SET current_level = $3 WHERE user_id = $1 AND specialization_id = $2', [
        t.g,
        t.spec,
        level,
      ]);
      const committed = performance.now();
      const committedWall = Date.now();
      t.broken = !heal;
      if (!heal) breaks++;
      const shown = base === null ? null : base + targets.filter((x) => x.broken).length;
      // (a) the set, polled at once on another connection.
      for (;;) {
        polls++;
        const r = await poller.query<{ since: Date }>(
          'SELECT since FROM current_desyncs WHERE user_id = $1 AND specialization_id = $2 AND kind = $3',
          [t.g, t.spec, 'LEVEL_MISMATCH'],
        );
        const seen = heal ? r.rowCount === 0 : r.rowCount === 1;
        if (seen) {
          visibleMs.push(performance.now() - committed);
          if (!heal) sinceMinusCommitMs.push(r.rows[0]!.since.getTime() - committedWall);
          break;
        }
        if (performance.now() - committed > 10_000) {
          visibleMs.push(Number.POSITIVE_INFINITY);
          break;
        }
      }
      // (b) the event stream.
      if (events) {
        const at = await events.next(issued, MISS_AFTER_MS);
        if (Number.isNaN(at)) {
          missedEvents++;
          eventMs.push(MISS_AFTER_MS);
        } else eventMs.push(at - committed);
      }
      // (c) the page's data, as fetched by the page's own rules.
      if (page) {
        const at = await page.viewAfter(committed, (v) => v.desyncs === shown, MISS_AFTER_MS);
        if (Number.isNaN(at)) {
          missedViews++;
          pageMs.push(MISS_AFTER_MS);
        } else pageMs.push(at - committed);
      }
      if ((i + 1) % 50 === 0) log(`  ${i + 1}/${samples} samples`);
    }
  } finally {
    loadFigures = await load.stop();
    events?.close();
    page?.close();
    // Every pair broken here is healed (triggers on: the judge removes its entry).
    for (const t of targets.filter((x) => x.broken)) {
      await breaker.query('UPDATE user_licenses SET current_level = $3 WHERE user_id = $1 AND specialization_id = $2', [
        t.g,
        t.spec,
        t.level,
      ]);
      t.broken = false;
    }
    await breaker.end();
    await poller.end();
  }
  const pageStats = page?.stats();
  const figures = {
    samples,
    breaks,
    heals: samples - breaks,
    loadTarget: round(rate),
    loadAchieved: round(loadFigures.perSecond),
    loadErrors: loadFigures.errors,
    set: { p50Ms: pct(visibleMs, 50), p99Ms: pct(visibleMs, 99), maxMs: pct(visibleMs, 100), pollsPerSample: round(polls / samples, 2) },
    sinceMinusCommit: { p50Ms: pct(sinceMinusCommitMs, 50), p99Ms: pct(sinceMinusCommitMs, 99), minMs: pct(sinceMinusCommitMs, 0) },
    sse: events
      ? {
          p50Ms: pct(eventMs, 50),
          p99Ms: pct(eventMs, 99),
          maxMs: pct(eventMs, 100),
          missed: missedEvents,
          invalidateEvents: events.events,
        }
      : null,
    /** Commit -> the change in the dashboard page's data (c); a miss counts as MISS_AFTER_MS. */
    page:
      page && pageStats
        ? {
            route: DASHBOARD_ROUTE,
            topics: PAGE_TOPICS,
            p50Ms: pct(pageMs, 50),
            p99Ms: pct(pageMs, 99),
            maxMs: pct(pageMs, 100),
            missed: missedViews,
            missAfterMs: MISS_AFTER_MS,
            pollSeconds,
            livePollSeconds: Math.max(pollSeconds, LIVE_FALLBACK_SECONDS),
            fetches: pageStats.fetches,
            eventRefetches: pageStats.eventRefetches,
            cancelledFetches: pageStats.cancelled,
            polls: pageStats.polls,
            failedFetches: pageStats.failures,
          }
        : null,
  };
  log(
    `  (a) commit -> in current_desyncs p50 ${figures.set.p50Ms} ms, p99 ${figures.set.p99Ms} ms (${figures.set.pollsPerSample} polls); ` +
      `since - commit p50 ${figures.sinceMinusCommit.p50Ms} ms`,
  );
  if (figures.sse) {
    log(
      `  (b) commit -> SSE invalidate p50 ${figures.sse.p50Ms} ms, p99 ${figures.sse.p99Ms} ms, ` +
        `max ${figures.sse.maxMs} ms, missed ${missedEvents}`,
    );
  }
  if (figures.page) {
    const p = figures.page;
    log(
      `  (c) commit -> in the dashboard page's data p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, max ${p.maxMs} ms, missed ${p.missed}; ` +
        `${p.fetches} fetches (${p.eventRefetches} on events, ${p.cancelledFetches} cancelled, ${p.polls} polls, ` +
        `${p.failedFetches} failed)`,
    );
  }
  log(`  load: ${figures.loadAchieved} tx/s achieved of ${figures.loadTarget}, ${figures.loadErrors} errors`);
  return { figures, samples: { setMs: visibleMs, eventMs, pageMs } satisfies FreshnessSamples };
}

export async function measureFreshness(opts: FreshnessOptions) {
  return (await runFreshness(opts)).figures;
}

export type FreshnessFigures = Awaited<ReturnType<typeof measureFreshness>>;
