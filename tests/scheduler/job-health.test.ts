import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeJobHealth, getJobHealth } from '../../lib/scheduler/job-health';
import { db, rawClient } from '../support/db';

/**
 * Overdue = no sync job finished SUCCEEDED or PARTIAL within the SYNC_CRON interval plus the
 * grace (defaults: "0 *\/6 * * *" and 60 min, the old system's 7-hour alarm).
 */

const HOUR = 3_600_000;
let c: pg.Client;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE sync_job_items, sync_jobs, scheduler_state`);
});

async function finishedJob(status: string, finishedAt: Date, trigger = 'SCHEDULED') {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms)
     VALUES ($1, $2, 'scheduler', $3::timestamptz - interval '1 minute', $3, $3, 60000) RETURNING id`,
    [status, trigger, finishedAt],
  );
  return rows[0]!.id;
}

const at = (iso: string) => new Date(iso);
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

describe('getJobHealth with the default schedule (6 h + 1 h)', () => {
  const success = at('2030-03-01T06:00:42.000Z');
  const deadline = plus(success, 7 * HOUR);

  beforeEach(async () => {
    await finishedJob('SUCCEEDED', success);
  });

  it('is on schedule one millisecond before the deadline and exactly at it', async () => {
    for (const now of [plus(deadline, -1), deadline]) {
      const h = await getJobHealth(db, now);
      expect(h.state).toBe('ON_SCHEDULE');
      expect(h.lastSuccessAt).toEqual(success);
      expect(h.overdueAfter).toEqual(deadline);
    }
  });

  it('is overdue one millisecond after the deadline', async () => {
    const h = await getJobHealth(db, plus(deadline, 1));
    expect(h.state).toBe('OVERDUE');
    expect(h.overdueAfter).toEqual(deadline);
  });

  it('counts PARTIAL as a success, but not FAILED or ABANDONED', async () => {
    const partial = plus(success, 2 * HOUR);
    await finishedJob('PARTIAL', partial);
    await finishedJob('FAILED', plus(success, 3 * HOUR));
    const abandoned = await finishedJob('ABANDONED', plus(success, 4 * HOUR));

    const h = await getJobHealth(db, plus(partial, 7 * HOUR));
    expect(h.state).toBe('ON_SCHEDULE');
    expect(h.lastSuccessAt).toEqual(partial);
    expect(h.overdueAfter).toEqual(plus(partial, 7 * HOUR));
    // The newest finished job is reported whatever its status.
    expect(h.lastFinishedJob).toMatchObject({ id: abandoned, status: 'ABANDONED' });
    expect((await getJobHealth(db, plus(partial, 7 * HOUR + 1))).state).toBe('OVERDUE');
  });

  it('gives the next sync and health check occurrences after now', async () => {
    const h = await getJobHealth(db, at('2030-03-01T07:30:10.000Z'));
    expect(h.nextSyncAt).toEqual(at('2030-03-01T12:00:00.000Z'));
    expect(h.nextHealthCheckAt).toEqual(at('2030-03-01T07:31:00.000Z'));
    // Exactly on an occurrence, "next" is the following one.
    expect((await getJobHealth(db, at('2030-03-01T12:00:00.000Z'))).nextSyncAt).toEqual(at('2030-03-01T18:00:00.000Z'));
  });
});

describe('getJobHealth before any sync has succeeded', () => {
  it('is NEVER_RUN with no deadline when no scheduler ever started', async () => {
    await finishedJob('FAILED', at('2030-03-01T06:00:00.000Z'));
    const h = await getJobHealth(db, at('2031-01-01T00:00:00.000Z'));
    expect(h).toMatchObject({ state: 'NEVER_RUN', lastSuccessAt: null, overdueAfter: null });
    expect(h.lastFinishedJob).toMatchObject({ status: 'FAILED' });
  });

  it('counts the deadline from the first scheduler start', async () => {
    const firstStart = at('2030-03-01T07:00:00.000Z');
    await c.query(`INSERT INTO scheduler_state (id, first_started_at) VALUES (1, $1)`, [firstStart]);
    const deadline = plus(firstStart, 7 * HOUR);
    expect(await getJobHealth(db, deadline)).toMatchObject({ state: 'NEVER_RUN', overdueAfter: deadline, lastFinishedJob: null });
    expect((await getJobHealth(db, plus(deadline, 1))).state).toBe('OVERDUE');
  });
});

describe('computeJobHealth with an irregular schedule', () => {
  const config = {
    crons: { HEALTH_CHECK: '* * * * *', SYNC: '0 9,17 * * *', RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' },
    timezone: 'UTC',
    syncOverdueGraceMs: 30 * 60_000,
  };

  it('uses the gap the last success falls in', async () => {
    // 17:05 falls in the 16-hour gap 17:00 -> 09:00; 09:05 in the 8-hour gap 09:00 -> 17:00.
    await finishedJob('SUCCEEDED', at('2030-03-01T17:05:00.000Z'));
    const evening = await computeJobHealth(at('2030-03-02T09:00:00.000Z'), config, db);
    expect(evening.overdueAfter).toEqual(at('2030-03-02T09:35:00.000Z'));

    await finishedJob('SUCCEEDED', at('2030-03-02T09:05:00.000Z'));
    const morning = await computeJobHealth(at('2030-03-02T17:36:00.000Z'), config, db);
    expect(morning).toMatchObject({ state: 'OVERDUE', overdueAfter: at('2030-03-02T17:35:00.000Z') });
  });

  it('reads the expression in the configured time zone', async () => {
    await finishedJob('SUCCEEDED', at('2030-03-01T12:00:00.000Z'));
    const paris = await computeJobHealth(at('2030-03-01T12:30:00.000Z'), { ...config, timezone: 'Europe/Paris' }, db);
    // 17:00 in Paris in March (UTC+1) is 16:00 UTC.
    expect(paris.nextSyncAt).toEqual(at('2030-03-01T16:00:00.000Z'));
  });
});
