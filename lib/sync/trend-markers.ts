import type { Db } from '../db/prisma';
import type { SyncJobStatus, SyncTrigger } from '../vocabulary';
import type { TrendMarker } from './trend';

/** The trend chart's markers: the sync jobs and the maintenance windows (issue 15) in its window. */

/** Sync jobs shown at most (the newest). */
export const MAX_MARKERS = 200;
/** Maintenance windows shown at most (a handful in any real range). */
const MAX_WINDOWS = 50;

interface JobRow {
  id: number;
  status: SyncJobStatus;
  trigger: SyncTrigger;
  started_at: Date;
  finished_at: Date | null;
}

export async function trendMarkers(db: Db, since: Date, until: Date): Promise<{ markers: TrendMarker[]; omitted: number }> {
  const [jobs, windows] = await Promise.all([jobMarkers(db, since, until), windowMarkers(db, since, until)]);
  const markers = [...jobs.markers, ...windows].sort((a, b) => a.from.localeCompare(b.from));
  return { markers, omitted: jobs.omitted };
}

/** Maintenance windows overlapping [since, until] (ended early: up to when they ended). */
async function windowMarkers(db: Db, since: Date, until: Date): Promise<TrendMarker[]> {
  const rows = await db.$queryRaw<{ id: number; starts_at: Date; ends_at: Date; reason: string }[]>`
    SELECT id, starts_at, least(ends_at, coalesce(ended_at, ends_at)) AS ends_at, reason FROM maintenance_windows
    WHERE starts_at <= ${until}::timestamptz AND least(ends_at, coalesce(ended_at, ends_at)) >= ${since}::timestamptz
    ORDER BY starts_at DESC LIMIT ${MAX_WINDOWS}`;
  return rows.map((w) => ({
    kind: 'MAINTENANCE' as const,
    from: w.starts_at.toISOString(),
    to: w.ends_at.toISOString(),
    label: `Maintenance: ${w.reason}`,
    href: '/settings/notifications',
  }));
}

/**
 * The sync jobs that overlap [since, until]: those started in it (newest MAX_MARKERS), and the
 * last one started before it when it was still running at `since` (one job runs at a time, so
 * no other can overlap the start). Both by the index on sync_jobs (started_at).
 */
async function jobMarkers(db: Db, since: Date, until: Date): Promise<{ markers: TrendMarker[]; omitted: number }> {
  const [rows, [count]] = await Promise.all([
    db.$queryRaw<JobRow[]>`
      (SELECT id, status::text, trigger::text, started_at, finished_at FROM sync_jobs
       WHERE started_at >= ${since}::timestamptz AND started_at <= ${until}::timestamptz
       ORDER BY started_at DESC, id DESC LIMIT ${MAX_MARKERS})
      UNION ALL
      (SELECT * FROM (SELECT id, status::text, trigger::text, started_at, finished_at FROM sync_jobs
                      WHERE started_at < ${since}::timestamptz ORDER BY started_at DESC, id DESC LIMIT 1) before
       WHERE finished_at IS NULL OR finished_at >= ${since}::timestamptz)`,
    db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM sync_jobs WHERE started_at >= ${since}::timestamptz AND started_at <= ${until}::timestamptz`,
  ]);
  const started = rows.filter((r) => r.started_at >= since).length;
  const markers = rows
    .sort((a, b) => a.started_at.getTime() - b.started_at.getTime() || a.id - b.id)
    .map((r) => ({
      kind: 'SYNC_JOB' as const,
      from: r.started_at.toISOString(),
      to: r.finished_at?.toISOString() ?? null,
      label: `Sync job #${r.id} (${r.trigger.toLowerCase()}): ${r.status.toLowerCase()}`,
      href: `/jobs/${r.id}`,
    }));
  return { markers, omitted: Math.max(0, count!.n - started) };
}
