import 'server-only';
import type { Db } from '@/lib/db/prisma';
import { readTrend, type Trend } from '@/lib/sync';
import { BUCKET_ORIGIN, bucketSecondsOf, parseTrendInput, rangeSeconds, type TrendRange } from '@/lib/sync/trend';

/**
 * The dashboard's trend, kept in this process per range and reused while one cheap probe shows
 * that nothing it was read from changed. Every open dashboard refetches it on each `checks` and
 * `jobs` event and each poll, and a 90-day read aggregates every check kept (about 130,000 at the
 * default schedule, tens of milliseconds); the probe is a handful of index look-ups.
 *
 * The probe covers what readTrend reads: the window's first bucket (the window moves one bucket
 * at a time), the newest and oldest health check and sync job (a new check or job, or retention's
 * pruning) and the running job (a job that starts, ends or is marked abandoned). A change that
 * commits after the probe is read too, and only makes the cached trend newer than its key; the
 * next request then reads again.
 */

const cache = new Map<TrendRange, { version: string; trend: Promise<Trend> }>();

export async function getTrend(db: Db, input: unknown): Promise<Trend> {
  const { range } = parseTrendInput(input);
  const version = await trendVersion(db, range);
  const hit = cache.get(range);
  if (hit && hit.version === version) return hit.trend;
  // Requests that see the same version share one read.
  const trend = readTrend(db, { range });
  const entry = { version, trend };
  cache.set(range, entry);
  trend.catch(() => {
    if (cache.get(range) === entry) cache.delete(range);
  });
  return trend;
}

async function trendVersion(db: Db, range: TrendRange): Promise<string> {
  const [row] = await db.$queryRaw<{ v: string }[]>`
    SELECT concat_ws('|',
      date_bin(${bucketSecondsOf(range)}::int * interval '1 second', now() - ${rangeSeconds(range)}::int * interval '1 second',
               ${BUCKET_ORIGIN}::timestamptz),
      (SELECT max(id) FROM health_checks), (SELECT min(id) FROM health_checks),
      (SELECT max(id) FROM sync_jobs), (SELECT min(id) FROM sync_jobs),
      (SELECT string_agg(id::text, ',') FROM sync_jobs WHERE status = 'RUNNING')) AS v`;
  return row?.v ?? '';
}
