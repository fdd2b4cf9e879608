import 'server-only';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';
import { log } from '@/lib/log';
import { desyncsByWriter, getForeignWrites, getLatestAudit, getRunningJob, listSyncJobs, readHealth } from '@/lib/sync';
import { getJobHealth } from '@/lib/scheduler/job-health';
import type { WriterCount } from '@/lib/sync/attribution';
import { toHealthDto, toIso, toJobDto, type DashboardData, type JobHealthDto } from './dto';

/** Rebuild at least this often whatever the probe says (belt and braces). */
const MAX_AGE_MS = 60_000;
/** "Desyncs by writer" counts this far back. */
const WRITER_WINDOW_MS = 24 * 3_600_000;
/** Writers shown by name in "Desyncs by writer"; the rest are summed into one bar. */
const TOP_WRITERS = 8;

type DashboardBody = Omit<DashboardData, 'generatedAt'>;

interface Built {
  version: string;
  /** When a time-dependent figure (next check, next sync, overdue) changes by itself. */
  validUntil: number;
  body: DashboardBody;
}

let cached: Built | null = null;
let building: { version: string; promise: Promise<Built> } | null = null;

/**
 * Everything the dashboard shows: the figures now (the counters the database maintains at every
 * commit), the latest full audit, the FOREIGN_WRITES mode, the desyncs caused per writer in the
 * last 24 hours (pair_events) and job rows: never a scan of the pairs, so it stays fast at a
 * million pairs and can be polled every few seconds. The consistency trend is a request of its own
 * (GET /api/dashboard/trend, lib/data/trend.ts), by the range the chart shows.
 *
 * Every open dashboard polls this, so its cost per request is what a busy server runs out of:
 * built from scratch it is a dozen queries and the schedule arithmetic, about 4 ms of CPU, five
 * times the framework's own cost per request (docs/performance.md). So the result is kept in
 * this process and reused while one cheap probe of the rows it was built from shows no change
 * (a new or pruned health check or audit, a new, progressing or finished sync job, the scheduler's
 * first start, a counter delta, a pair event, the FOREIGN_WRITES mode), until its earliest
 * time-dependent figure (next check, next sync, overdue) falls due, or a minute has passed (the
 * 24-hour window of "Desyncs by writer" slides). Each request waits for a probe that starts
 * after it arrived, so a change committed before a request is always in its answer.
 */
export async function getDashboardData(): Promise<DashboardData> {
  const version = await dataVersion();
  if (!cached || cached.version !== version || Date.now() >= cached.validUntil) {
    // Requests arriving together share one build.
    if (!building || building.version !== version) {
      const promise = buildDashboardData(version);
      building = { version, promise };
      promise.then(
        () => {
          if (building?.promise === promise) building = null;
        },
        () => {
          if (building?.promise === promise) building = null;
        },
      );
    }
    cached = await building.promise;
  }
  return { generatedAt: new Date().toISOString(), ...cached.body };
}

let nextProbe: Promise<string> | null = null;

/**
 * A fingerprint of every row getDashboardData reads, in one round trip of index look-ups (and a
 * count of the counter deltas, which compaction keeps to about a minute's worth).
 * Requests that arrive before a probe starts share it (at 100 concurrent pollers most do): it
 * still runs after each of them arrived, so none can miss a change committed before it.
 */
function dataVersion(): Promise<string> {
  nextProbe ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
    nextProbe = null;
    return probeVersion();
  });
  return nextProbe;
}

async function probeVersion(): Promise<string> {
  const [row] = await getDb().$queryRaw<{ v: string }[]>`
    SELECT concat_ws('|',
      (SELECT max(id) FROM health_checks), (SELECT min(id) FROM health_checks), (SELECT max(id) FROM sync_jobs),
      (SELECT concat_ws(',', id, done, total, found, synced, failed, reported, heartbeat_at) FROM sync_jobs WHERE status = 'RUNNING'),
      (SELECT first_started_at FROM scheduler_state WHERE id = 1),
      -- The figures' counters: every delta and every compaction inserts a row with a new id (a
      -- TRUNCATE of a pair table deletes some, and asks for an audit); the desyncs caused.
      (SELECT max(id) FROM sw_count_deltas), (SELECT max(id) FROM pair_events),
      (SELECT concat_ws(',', foreign_writes, audit_requested_at) FROM sw_state WHERE id = 1)) AS v`;
  return row?.v ?? '';
}

async function buildDashboardData(version: string): Promise<Built> {
  const since = new Date(Date.now() - WRITER_WINDOW_MS);
  const [latest, audit, foreignWrites, writers, running, jobs, jobHealth] = await Promise.all([
    readHealth(getDb()),
    getLatestAudit(getDb()),
    getForeignWrites(getDb()),
    desyncsByWriter(getDb(), { since, limit: 1000 }),
    getRunningJob(getDb()),
    listSyncJobs(getDb(), { limit: 5 }),
    getJobHealthSafely(),
  ]);
  const lastJob = jobs.items.find((j) => j.status !== 'RUNNING') ?? null;
  const now = Date.now();
  const due = [jobHealth?.nextHealthCheckAt, jobHealth?.nextSyncAt, jobHealth?.overdueAfter]
    .map((iso) => (iso ? Date.parse(iso) : Number.NaN))
    .filter((t) => t > now);
  return {
    version,
    // Without schedule figures (job health failed), try again in a few seconds.
    validUntil: Math.min(now + (jobHealth ? MAX_AGE_MS : 5_000), ...due),
    body: {
      targetPercent: env().CONSISTENCY_TARGET,
      latest: toHealthDto(latest),
      lastAudit: audit
        ? { id: audit.id, checkedAt: audit.checkedAt.toISOString(), durationMs: audit.durationMs, drift: audit.drift }
        : null,
      foreignWrites,
      desyncsByWriter: { since: since.toISOString(), writers: topWriters(writers) },
      runningJob: running ? toJobDto(running) : null,
      lastJob: lastJob ? toJobDto(lastJob) : null,
      jobHealth,
    },
  };
}

/** The TOP_WRITERS writers that caused the most, and the others summed as one. */
function topWriters(all: WriterCount[]): WriterCount[] {
  if (all.length <= TOP_WRITERS + 1) return all;
  const rest = all.slice(TOP_WRITERS);
  return [...all.slice(0, TOP_WRITERS), { writer: `${rest.length} other writers`, count: rest.reduce((n, w) => n + w.count, 0) }];
}

// The schedule figures are secondary: a failure there must not blank the whole dashboard.
async function getJobHealthSafely(): Promise<JobHealthDto | null> {
  try {
    const h = await getJobHealth(getDb());
    return {
      state: h.state,
      lastSuccessAt: toIso(h.lastSuccessAt),
      nextSyncAt: toIso(h.nextSyncAt),
      nextHealthCheckAt: toIso(h.nextHealthCheckAt),
      overdueAfter: toIso(h.overdueAfter),
    };
  } catch (err) {
    log.error({ err }, 'dashboard: job health unavailable');
    return null;
  }
}
