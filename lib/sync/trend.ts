import { z } from 'zod';
import type { Db } from '../db/prisma';
import type { SyncJobStatus, SyncTrigger } from '../vocabulary';
import { validationError } from './errors';
import { trendMarkers } from './trend-markers';

/**
 * History you can look at: the consistency trend and the sync-job history over a range (24 h,
 * 7 d, 30 d, 90 d), read in SQL and shaped for a chart, never a row per health check.
 *
 * - The trend buckets health_checks (snapshots and full audits) with date_bin into BUCKETS
 *   buckets of equal width; each bucket has the lowest, highest and last consistency rate of its
 *   checks, so a dip shorter than a bucket still shows (as the band's low edge). The window starts
 *   on a bucket boundary (origin BUCKET_ORIGIN), so the buckets stay the same from one read to the
 *   next and only the one in progress changes. The rate is the stored consistency_rate
 *   (consistent_pairs / total_pairs, 1 without pairs). The checks are read by the index on
 *   health_checks (checked_at).
 * - Markers are the sync jobs in the window (by the index on sync_jobs (started_at)), newest
 *   MAX_MARKERS of them.
 * - The job history is one row per finished job that started in the window, newest MAX_JOBS.
 *
 * Times are ISO strings and rates fractions in [0, 1]: the results are JSON as they are, for
 * GET /api/dashboard/trend and GET /api/sync-jobs/history.
 */

export const TREND_RANGES = ['24h', '7d', '30d', '90d'] as const;
export type TrendRange = (typeof TREND_RANGES)[number];

/** The picker's words for each range. */
export const TREND_RANGE_LABELS: Record<TrendRange, string> = { '24h': '24 h', '7d': '7 d', '30d': '30 d', '90d': '90 d' };
/** The same, for sentences ("Last 7 days"). */
export const TREND_RANGE_NAMES: Record<TrendRange, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
};
export const DEFAULT_TREND_RANGE: TrendRange = '24h';

const HOUR = 3_600;
const RANGE_SECONDS: Record<TrendRange, number> = { '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR, '90d': 90 * 24 * HOUR };

/**
 * Whole buckets per range: 5 min for 24 h, 35 min for 7 d, 2.5 h for 30 d, 7.5 h for 90 d. The
 * window starts at a bucket boundary at most one bucket before `now - range`, so a trend has at
 * most BUCKETS + 1 points (the last one is the bucket in progress).
 */
export const BUCKETS = 288;
/** The most points a trend has, whatever the range and however many checks it holds. */
export const MAX_TREND_POINTS = BUCKETS + 1;
/** Buckets are counted from here (any fixed instant would do; this one keeps them on round times). */
export const BUCKET_ORIGIN = '2000-01-01T00:00:00Z';
export { MAX_MARKERS } from './trend-markers';
export const MAX_JOBS = 500;

/** Seconds a range spans. */
export function rangeSeconds(range: TrendRange): number {
  return RANGE_SECONDS[range];
}

/** Seconds per bucket of a range's trend. */
export function bucketSecondsOf(range: TrendRange): number {
  return RANGE_SECONDS[range] / BUCKETS;
}

export const trendRangeSchema = z.enum(TREND_RANGES, { error: `must be one of ${TREND_RANGES.join(', ')}` });
const rangeInputSchema = z.strictObject({ range: trendRangeSchema }, { error: 'must be an object with a range' });

/**
 * `{ range }` validated, or SyncError VALIDATION. (Not parseInput of ./validation: the browser's
 * range picker imports this module, which must stay free of the engine's other modules.)
 */
export function parseTrendInput(input: unknown): { range: TrendRange } {
  const result = rangeInputSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message }));
  throw validationError(`Invalid input: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}

/** A range from outside (a query string, a hand-edited URL): the range, or null when it is none of them. */
export function parseTrendRange(value: unknown): TrendRange | null {
  const parsed = trendRangeSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** One bucket of checks. */
export interface TrendPoint {
  /** The bucket's start. */
  at: string;
  /** Lowest, highest and last (by checked_at) consistency rate of its checks, fractions in [0, 1]. */
  min: number;
  max: number;
  last: number;
  /** Checks in the bucket (at least 1: buckets without checks are left out). */
  checks: number;
}

/** Something that happened over a stretch of the trend, drawn on the chart: a sync job or a maintenance window. */
export interface TrendMarker {
  kind: 'SYNC_JOB' | 'MAINTENANCE';
  from: string;
  /** null while it lasts (a running job). */
  to: string | null;
  label: string;
  href?: string;
}

export interface Trend {
  range: TrendRange;
  /** The window read: `from` is a bucket boundary, `to` the database's clock. */
  from: string;
  to: string;
  bucketSeconds: number;
  /** Checks bucketed: the sum of the points' `checks`. */
  checks: number;
  /** Non-empty buckets, oldest first. */
  points: TrendPoint[];
  /** Newest MAX_MARKERS markers, oldest first. */
  markers: TrendMarker[];
  /** Markers in the window left out by the cap. */
  markersOmitted: number;
}

interface BucketRow {
  since: Date;
  until: Date;
  at: Date | null;
  min: number | null;
  max: number | null;
  last: number | null;
  checks: number | null;
}

/** The consistency trend over `range`, bucketed in SQL, with the sync jobs and maintenance windows in it as markers. */
export async function readTrend(db: Db, input: { range: TrendRange }): Promise<Trend> {
  const { range } = parseTrendInput(input);
  const stride = bucketSecondsOf(range);
  const span = RANGE_SECONDS[range];
  // One clock for the window (w); the LEFT JOIN keeps it when no check falls in it. min, max and
  // count hash-aggregate in one pass; the last rate of each bucket is one index look-up per bucket.
  const rows = await db.$queryRaw<BucketRow[]>`
    WITH w AS MATERIALIZED (
      SELECT now() AS until,
             date_bin(${stride}::int * interval '1 second', now() - ${span}::int * interval '1 second',
                      ${BUCKET_ORIGIN}::timestamptz) AS since
    ),
    b AS (
      SELECT date_bin(${stride}::int * interval '1 second', h.checked_at, ${BUCKET_ORIGIN}::timestamptz) AS at,
             min(h.consistency_rate) AS min,
             max(h.consistency_rate) AS max,
             max(h.checked_at) AS last_at,
             count(*)::int AS checks
      FROM w JOIN health_checks h ON h.checked_at >= w.since AND h.checked_at <= w.until
      GROUP BY 1
    )
    SELECT w.since, w.until, b.at, b.min, b.max, l.rate AS last, b.checks
    FROM w
    LEFT JOIN b ON true
    LEFT JOIN LATERAL (
      SELECT x.consistency_rate AS rate FROM health_checks x WHERE x.checked_at = b.last_at ORDER BY x.id DESC LIMIT 1
    ) l ON true
    ORDER BY b.at`;
  const { since, until } = rows[0]!;
  const points = rows
    .filter((r) => r.at !== null)
    .map((r) => ({ at: r.at!.toISOString(), min: r.min!, max: r.max!, last: r.last!, checks: r.checks! }));
  const { markers, omitted } = await trendMarkers(db, since, until);
  return {
    range,
    from: since.toISOString(),
    to: until.toISOString(),
    bucketSeconds: stride,
    checks: points.reduce((n, p) => n + p.checks, 0),
    points,
    markers,
    markersOmitted: omitted,
  };
}

/** One finished sync job, for the job history chart. */
export interface JobHistoryEntry {
  id: number;
  status: SyncJobStatus;
  trigger: SyncTrigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Pairs repaired (for an UNDO job: put back). */
  synced: number;
  failed: number;
}

export interface JobHistory {
  range: TrendRange;
  from: string;
  to: string;
  /** Newest MAX_JOBS finished jobs that started in the window, oldest first. */
  jobs: JobHistoryEntry[];
  /** Finished jobs that started in the window (more than `jobs.length` when capped). */
  total: number;
}

interface HistoryRow {
  since: Date;
  until: Date;
  total: number;
  id: number | null;
  status: SyncJobStatus | null;
  trigger: SyncTrigger | null;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  synced: number | null;
  failed: number | null;
}

/** The finished sync jobs that started in the last `range` (by the index on sync_jobs (started_at)), newest MAX_JOBS. */
export async function readJobHistory(db: Db, input: { range: TrendRange }): Promise<JobHistory> {
  const { range } = parseTrendInput(input);
  const rows = await db.$queryRaw<HistoryRow[]>`
    WITH w AS MATERIALIZED (SELECT now() AS until, now() - ${RANGE_SECONDS[range]}::int * interval '1 second' AS since),
    j AS (
      SELECT j.id, j.status::text AS status, j.trigger::text AS trigger, j.started_at, j.finished_at, j.synced, j.failed,
             coalesce(j.duration_ms, greatest(0, round(extract(epoch FROM j.finished_at - j.started_at) * 1000))::int) AS duration_ms
      FROM w JOIN sync_jobs j ON j.started_at >= w.since AND j.started_at <= w.until
      WHERE j.status <> 'RUNNING' AND j.finished_at IS NOT NULL
      ORDER BY j.started_at DESC, j.id DESC
      LIMIT ${MAX_JOBS}
    ),
    n AS (
      SELECT count(*)::int AS total FROM w JOIN sync_jobs c ON c.started_at >= w.since AND c.started_at <= w.until
      WHERE c.status <> 'RUNNING' AND c.finished_at IS NOT NULL
    )
    SELECT w.since, w.until, n.total, j.id, j.status, j.trigger, j.started_at, j.finished_at, j.duration_ms, j.synced, j.failed
    FROM w CROSS JOIN n LEFT JOIN j ON true
    ORDER BY j.started_at, j.id`;
  const { since, until, total } = rows[0]!;
  const jobs = rows
    .filter((r) => r.id !== null)
    .map((r) => ({
      id: r.id!,
      status: r.status!,
      trigger: r.trigger!,
      startedAt: r.started_at!.toISOString(),
      finishedAt: r.finished_at!.toISOString(),
      durationMs: r.duration_ms!,
      synced: r.synced!,
      failed: r.failed!,
    }));
  return { range, from: since.toISOString(), to: until.toISOString(), jobs, total };
}
