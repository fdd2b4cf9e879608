import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJobHistory, readTrend, TREND_RANGES, type Trend, type TrendRange } from '../../lib/sync';
import { isSyncError } from '../../lib/sync/errors';
import { BUCKET_ORIGIN, bucketSecondsOf, MAX_JOBS, MAX_MARKERS, MAX_TREND_POINTS } from '../../lib/sync/trend';
import { db, rawClient } from '../support/db';

/**
 * The trend and the job history over each range, against an oracle in TypeScript: the checks
 * this file inserted, grouped by bucket here, must be exactly the points the SQL returns.
 */
let c: pg.Client;
const MIN = 60_000;
const HALF_HOUR = 30 * MIN;
const DAY = 24 * 60 * MIN;
const inserted: { at: number; rate: number; id: number }[] = [];

async function insertCheck(at: number, rate: number): Promise<void> {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate,
       level_mismatch, missing_license, missing_progress, orphan_progress, orphan_license, by_specialization)
     VALUES ($1::timestamptz, 1, 1000, round($2::float8 * 1000)::int, $2::float8, 1000 - round($2::float8 * 1000)::int,
             0, 0, 0, 0, '{}')
     RETURNING id`,
    [new Date(at), rate],
  );
  inserted.push({ at, rate, id: rows[0]!.id });
}

async function insertJob(job: { startedAt: number; finishedAt: number | null; synced?: number; failed?: number }): Promise<number> {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, synced, failed)
     VALUES ($1::"SyncJobStatus", 'SCHEDULED', 'scheduler', $2::timestamptz, $3::timestamptz,
             coalesce($3::timestamptz, $2::timestamptz), $4::int, $5::int, $6::int)
     RETURNING id`,
    [
      job.finishedAt === null ? 'RUNNING' : 'SUCCEEDED',
      new Date(job.startedAt),
      job.finishedAt === null ? null : new Date(job.finishedAt),
      job.finishedAt === null ? null : job.finishedAt - job.startedAt,
      job.synced ?? 0,
      job.failed ?? 0,
    ],
  );
  return rows[0]!.id;
}

/** The points the SQL must return: the inserted checks in the window, grouped as date_bin groups them. */
function oracle(trend: Trend) {
  const stride = trend.bucketSeconds * 1000;
  const origin = Date.parse(BUCKET_ORIGIN);
  const from = Date.parse(trend.from);
  const to = Date.parse(trend.to);
  const buckets = new Map<number, { min: number; max: number; last: { at: number; id: number; rate: number }; checks: number }>();
  for (const ch of inserted.filter((x) => x.at >= from && x.at <= to)) {
    const at = origin + Math.floor((ch.at - origin) / stride) * stride;
    const b = buckets.get(at);
    if (!b) buckets.set(at, { min: ch.rate, max: ch.rate, last: ch, checks: 1 });
    else {
      b.min = Math.min(b.min, ch.rate);
      b.max = Math.max(b.max, ch.rate);
      if (ch.at > b.last.at || (ch.at === b.last.at && ch.id > b.last.id)) b.last = ch;
      b.checks++;
    }
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, b]) => ({ at: new Date(at).toISOString(), min: b.min, max: b.max, last: b.last.rate, checks: b.checks }));
}

let now: number;
/** A 5-minute bucket three hours ago, between two half-hourly checks: where the dip is. */
let dipBucket: number;

beforeAll(async () => {
  c = await rawClient();
  const { rows } = await c.query<{ now: Date }>(`SELECT now()`);
  now = rows[0]!.now.getTime();
});
afterAll(async () => {
  await c.end();
});

describe('readTrend', () => {
  it('gives an empty series, and the window, when there are no checks', async () => {
    for (const range of TREND_RANGES) {
      const trend = await readTrend(db, { range });
      expect(trend).toMatchObject({ range, checks: 0, points: [], markers: [], markersOmitted: 0 });
      expect(Date.parse(trend.to) - Date.parse(trend.from)).toBeGreaterThanOrEqual(trend.bucketSeconds * 1000 * 288);
    }
  });

  it('buckets 90 days of checks: min, max and last per bucket, ordered, at most MAX_TREND_POINTS, exactly as the oracle', async () => {
    // Half-hourly checks on the half hour, for 91 days (the oldest fall outside every window).
    const base = Math.floor(now / HALF_HOUR) * HALF_HOUR;
    const values: [number, number][] = [];
    for (let k = 1; k <= 91 * 48; k++) values.push([base - k * HALF_HOUR, 0.95 + (k % 7) / 200]);
    // Inserted in one statement, then recorded for the oracle.
    const { rows } = await c.query<{ id: number; at: Date; rate: number }>(
      `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate,
         level_mismatch, missing_license, missing_progress, orphan_progress, orphan_license, by_specialization)
       SELECT to_timestamp(t / 1000.0), 1, 1000, round(r * 1000)::int, r, 1000 - round(r * 1000)::int, 0, 0, 0, 0, '{}'
       FROM unnest($1::float8[], $2::float8[]) AS v(t, r)
       RETURNING id, checked_at AS at, consistency_rate AS rate`,
      [values.map((v) => v[0]), values.map((v) => v[1])],
    );
    for (const r of rows) inserted.push({ id: r.id, at: r.at.getTime(), rate: r.rate });
    // A short dip inside one 5-minute bucket (hh:10 to hh:15, where no half-hourly check falls),
    // and two checks at the same instant: the later id is the last.
    dipBucket = base - 3 * 60 * MIN + 10 * MIN;
    await insertCheck(dipBucket + 30_000, 0.99);
    await insertCheck(dipBucket + 90_000, 0.8);
    await insertCheck(dipBucket + 150_000, 0.97);
    await insertCheck(dipBucket + 150_000, 0.985);

    for (const range of TREND_RANGES) {
      const trend = await readTrend(db, { range });
      expect(trend.points, range).toEqual(oracle(trend));
      expect(trend.points.length, range).toBeLessThanOrEqual(MAX_TREND_POINTS);
      expect(trend.points.length, range).toBeGreaterThan(0);
      const times = trend.points.map((p) => Date.parse(p.at));
      expect(times, range).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(times).size, range).toBe(times.length);
      expect(trend.checks, range).toBe(trend.points.reduce((n, p) => n + p.checks, 0));
      expect(trend.bucketSeconds, range).toBe(bucketSecondsOf(range));
      // The dip shows in its bucket's min at every range, however wide the bucket.
      const dip = trend.points.filter((p) => Date.parse(p.at) <= dipBucket + 90_000).at(-1)!;
      expect(dip.min, range).toBe(0.8);
      expect(Math.min(...trend.points.map((p) => p.min)), range).toBe(0.8);
    }
    const day = await readTrend(db, { range: '24h' });
    const dip = day.points.find((p) => Date.parse(p.at) === dipBucket)!;
    expect(dip).toEqual({ at: new Date(dipBucket).toISOString(), min: 0.8, max: 0.99, last: 0.985, checks: 4 });
    // The 90-day window holds about 90 days of checks, not the 91st.
    const quarter = await readTrend(db, { range: '90d' });
    expect(quarter.checks).toBeGreaterThanOrEqual(90 * 48);
    expect(quarter.checks).toBeLessThan(90 * 48 + 20);
    // Every 7.5-hour bucket of the 90 days holds checks: the whole window, in at most 289 points.
    expect(quarter.points.length).toBeGreaterThanOrEqual(288);
  });

  it('marks the sync jobs in the window only, a running one open-ended, the newest MAX_MARKERS', async () => {
    const outside = await insertJob({ startedAt: now - 25 * 60 * MIN, finishedAt: now - 25 * 60 * MIN + 3_000 });
    // Started just before the 24-hour window and still running into it: it overlaps the window.
    const straddling = await insertJob({ startedAt: now - DAY - 10 * MIN, finishedAt: now - DAY + 10 * MIN });
    const inside = await insertJob({ startedAt: now - 3 * 60 * MIN, finishedAt: now - 3 * 60 * MIN + 5_000, synced: 12 });
    const running = await insertJob({ startedAt: now - MIN, finishedAt: null });
    const ancient = await insertJob({ startedAt: now - 100 * DAY, finishedAt: now - 100 * DAY + 1_000 });

    const day = await readTrend(db, { range: '24h' });
    expect(day.markers.map((m) => m.href)).toEqual([straddling, inside, running].map((id) => `/jobs/${id}`));
    expect(day.markers[1]).toEqual({
      kind: 'SYNC_JOB',
      from: new Date(now - 3 * 60 * MIN).toISOString(),
      to: new Date(now - 3 * 60 * MIN + 5_000).toISOString(),
      label: `Sync job #${inside} (scheduled): succeeded`,
      href: `/jobs/${inside}`,
    });
    expect(day.markers[2]).toMatchObject({ to: null, label: `Sync job #${running} (scheduled): running` });
    expect(day.markersOmitted).toBe(0);
    const week = await readTrend(db, { range: '7d' });
    expect(week.markers.map((m) => m.href)).toEqual([outside, straddling, inside, running].map((id) => `/jobs/${id}`));
    const quarter = await readTrend(db, { range: '90d' });
    expect(quarter.markers.map((m) => m.href)).not.toContain(`/jobs/${ancient}`);

    // Many jobs in the window: the newest MAX_MARKERS, and how many were left out.
    await c.query(
      `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms)
       SELECT 'SUCCEEDED', 'MANUAL', 'admin@test.local', t, t + interval '2 seconds', t, 2000
       FROM (SELECT now() - interval '2 days' - g * interval '10 minutes' AS t FROM generate_series(1, 250) g) s`,
    );
    const capped = await readTrend(db, { range: '7d' });
    expect(capped.markers).toHaveLength(MAX_MARKERS);
    expect(capped.markersOmitted).toBe(4 + 250 - MAX_MARKERS);
    expect(capped.markers.at(-1)!.href).toBe(`/jobs/${running}`);
    const starts = capped.markers.map((m) => Date.parse(m.from));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    await c.query(`UPDATE sync_jobs SET status = 'FAILED', finished_at = now() WHERE id = $1`, [running]);
  });

  it('marks the maintenance windows in the window, up to when one ended early', async () => {
    await c.query(`DELETE FROM sync_jobs WHERE status <> 'RUNNING'`);
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO maintenance_windows (starts_at, ends_at, reason, created_by) VALUES
         (now() - interval '2 hours', now() + interval '1 hour', 'database upgrade', 'admin@t'),
         (now() - interval '5 hours', now() - interval '3 hours', 'network work', 'admin@t'),
         (now() - interval '20 days', now() - interval '19 days', 'long ago', 'admin@t')
       RETURNING id`,
    );
    await c.query(`UPDATE maintenance_windows SET ended_at = starts_at + interval '30 minutes' WHERE id = $1`, [rows[1]!.id]);
    const day = await readTrend(db, { range: '24h' });
    const windows = day.markers.filter((m) => m.kind === 'MAINTENANCE');
    expect(windows.map((m) => m.label)).toEqual(['Maintenance: network work', 'Maintenance: database upgrade']);
    expect(Date.parse(windows[0]!.to!) - Date.parse(windows[0]!.from)).toBe(30 * 60_000);
    expect((await readTrend(db, { range: '30d' })).markers.filter((m) => m.kind === 'MAINTENANCE')).toHaveLength(3);
    await c.query(`DELETE FROM maintenance_windows`);
  });

  it('refuses hostile ranges with VALIDATION', async () => {
    const hostile: unknown[] = [
      { range: '1d' },
      { range: '24H' },
      { range: ' 24h' },
      { range: '7d; DROP TABLE health_checks' },
      { range: '' },
      { range: null },
      { range: 7 },
      { range: ['7d'] },
      { range: { toString: () => '7d' } },
      { range: '90d\u0000' },
      { range: '7d', limit: 5 },
      {},
      null,
      '7d',
    ];
    for (const input of hostile) {
      for (const read of [readTrend, readJobHistory]) {
        const err = await read(db, input as { range: TrendRange }).catch((e: unknown) => e);
        expect(isSyncError(err, 'VALIDATION'), `${read.name} ${JSON.stringify(input)}`).toBe(true);
      }
    }
    expect(await c.query(`SELECT count(*)::int AS n FROM health_checks`).then((r) => r.rows[0].n)).toBeGreaterThan(0);
  });
});

describe('readJobHistory', () => {
  it('lists the finished jobs started in the window, oldest first, never a running one', async () => {
    await c.query(`DELETE FROM sync_jobs`);
    const a = await insertJob({ startedAt: now - 5 * 60 * MIN, finishedAt: now - 5 * 60 * MIN + 61_000, synced: 7, failed: 1 });
    const b = await insertJob({ startedAt: now - 2 * 60 * MIN, finishedAt: now - 2 * 60 * MIN + 1_500, synced: 3 });
    await insertJob({ startedAt: now - 2 * DAY, finishedAt: now - 2 * DAY + 1_000 });
    await insertJob({ startedAt: now - MIN, finishedAt: null });

    const day = await readJobHistory(db, { range: '24h' });
    expect(day.total).toBe(2);
    expect(day.jobs).toEqual([
      {
        id: a,
        status: 'SUCCEEDED',
        trigger: 'SCHEDULED',
        startedAt: new Date(now - 5 * 60 * MIN).toISOString(),
        finishedAt: new Date(now - 5 * 60 * MIN + 61_000).toISOString(),
        durationMs: 61_000,
        synced: 7,
        failed: 1,
      },
      expect.objectContaining({ id: b, durationMs: 1_500, synced: 3, failed: 0 }),
    ]);
    expect((await readJobHistory(db, { range: '7d' })).jobs).toHaveLength(3);
    await c.query(`UPDATE sync_jobs SET status = 'FAILED', finished_at = now() WHERE status = 'RUNNING'`);
  });

  it('keeps the newest MAX_JOBS and says how many there were; an empty window is empty', async () => {
    await c.query(`DELETE FROM sync_jobs`);
    expect(await readJobHistory(db, { range: '90d' })).toMatchObject({ jobs: [], total: 0 });
    await c.query(
      `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, synced)
       SELECT 'PARTIAL', 'MANUAL', 'admin@test.local', t, t + interval '1 second', t, NULL, g
       FROM (SELECT g, now() - g * interval '1 hour' AS t FROM generate_series(1, 600) g) s`,
    );
    const quarter = await readJobHistory(db, { range: '90d' });
    expect(quarter.total).toBe(600);
    expect(quarter.jobs).toHaveLength(MAX_JOBS);
    // The newest: started 1 to 500 hours ago, oldest first; the duration from the times when not recorded.
    expect(quarter.jobs.map((j) => j.synced)).toEqual(Array.from({ length: MAX_JOBS }, (_, i) => MAX_JOBS - i));
    expect(quarter.jobs.every((j) => j.durationMs === 1000)).toBe(true);
  });
});
