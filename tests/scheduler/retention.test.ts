import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import { rawClient } from '../support/db';
import { independentScheduler, testConfig } from './support';

/** The hourly retention run prunes history older than RETENTION_DAYS, keeping the latest of each. */

let c: pg.Client;
let db: Db;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await db?.$disconnect();
  await c.end();
});

const healthCheck = (checkedAt: string) =>
  c.query(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch,
       missing_license, missing_progress, orphan_progress, orphan_license, by_specialization)
     VALUES ($1, 1, 0, 0, 1, 0, 0, 0, 0, 0, '{}')`,
    [checkedAt],
  );
const job = (finishedAt: string) =>
  c.query(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, duration_ms)
     VALUES ('SUCCEEDED', 'SCHEDULED', 'scheduler', $1, $1, 1)`,
    [finishedAt],
  );

describe('retention', () => {
  it('prunes health checks, jobs and schedule runs older than the retention, keeping the latest of each', async () => {
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    for (const d of [200, 120, 91]) await healthCheck(daysAgo(d));
    await healthCheck(daysAgo(10));
    for (const d of [300, 95]) await job(daysAgo(d));
    await c.query(
      `INSERT INTO schedule_runs (schedule, occurrence_at, instance_id, status, finished_at) VALUES ('SYNC', $1, 'old', 'SUCCEEDED', $1)`,
      [daysAgo(100)],
    );

    const s = independentScheduler({ config: testConfig({ retentionDays: 90 }), schedules: ['RETENTION'], instanceId: 'janitor' });
    db = s.db;
    // The latest hourly occurrence (minute 17) before now is at most an hour old; tick 1 s after it.
    const occurrence = s.scheduler.nextOccurrence('RETENTION', new Date(now.getTime() - 3_600_000))!;
    const [run] = await s.scheduler.tick(new Date(occurrence.getTime() + 1000));
    expect(run).toMatchObject({ schedule: 'RETENTION', status: 'SUCCEEDED' });
    expect(run!.detail).toMatch(
      /^pruned 3 health check\(s\), 1 job\(s\), 0 pair event\(s\), 0 incident\(s\), 0 test deliver\(ies\), 0 maintenance window\(s\), 1 schedule run\(s\)/,
    );

    const left = await c.query(`SELECT (SELECT count(*) FROM health_checks)::int AS checks, (SELECT count(*) FROM sync_jobs)::int AS jobs,
      (SELECT array_agg(instance_id) FROM schedule_runs)::text[] AS runs`);
    // The 95-day-old job is the latest finished job, so it stays.
    expect(left.rows[0]).toEqual({ checks: 1, jobs: 1, runs: ['janitor'] });
  });
});
