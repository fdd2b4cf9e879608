import { createParser } from 'eventsource-parser';
import pg from 'pg';
import type { Db } from '../../lib/db/prisma';
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
 *       client of GET /api/events (staff session), parsed with eventsource-parser.
 * The next write waits for the previous one's event (or 5 s), then a random 0-500 ms, so that each
 * event is the one of its commit (the hub coalesces: 250 ms trailing, at most 1 s).
 */

export interface SseTarget {
  baseUrl: string;
  cookie: string;
}

interface EventClient {
  /** Resolves with performance.now() of the first `invalidate` naming desyncs received after `after`. */
  next(after: number, timeoutMs: number): Promise<number>;
  readonly ready: Promise<void>;
  close(): void;
  events: number;
}

function openEventClient({ baseUrl, cookie }: SseTarget): EventClient {
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
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    },
    close: () => controller.abort(),
  };
  const parser = createParser({
    onEvent: (e) => {
      const at = performance.now();
      if (e.event === 'ready') readyResolve();
      if (e.event !== 'invalidate') return;
      client.events++;
      try {
        const { topics } = JSON.parse(e.data) as { topics: string[] };
        if (topics.includes('desyncs')) {
          received.push(at);
          wake?.();
        }
      } catch {
        // not JSON: ignored
      }
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

export async function measureFreshness(opts: {
  url: string;
  db: Db;
  pairs: number;
  /** recordProgress's measured maximum (tx/s at 16 callers): the load runs at half of it. */
  maxRate: number;
  samples: number;
  sse?: SseTarget;
}) {
  const { url, db, pairs, maxRate, samples, sse } = opts;
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
  const events = sse ? openEventClient(sse) : null;
  if (events) await events.ready;
  const rate = maxRate / 2;
  const load = paceLoad(db, pairs, rate);
  log(`  ${samples} breaks and heals at random moments; recordProgress load at ${rate.toFixed(0)} tx/s (half of ${maxRate.toFixed(0)})`);
  const visibleMs: number[] = [];
  const sinceMinusCommitMs: number[] = [];
  const eventMs: number[] = [];
  let polls = 0;
  let missedEvents = 0;
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
        const at = await events.next(issued, 5_000);
        if (Number.isNaN(at)) {
          missedEvents++;
          eventMs.push(Number.POSITIVE_INFINITY);
        } else eventMs.push(at - committed);
      }
      if ((i + 1) % 50 === 0) log(`  ${i + 1}/${samples} samples`);
    }
  } finally {
    loadFigures = await load.stop();
    events?.close();
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
  const pct = (xs: number[], p: number) => (xs.length ? round(percentile(xs, p), 2) : null);
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
  log(`  load: ${figures.loadAchieved} tx/s achieved of ${figures.loadTarget}, ${figures.loadErrors} errors`);
  return figures;
}

export type FreshnessFigures = Awaited<ReturnType<typeof measureFreshness>>;
