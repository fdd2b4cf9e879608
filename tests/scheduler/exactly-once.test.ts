import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import type { RunOutcome, Scheduler } from '../../lib/scheduler/scheduler';
import { rawClient } from '../support/db';
import { countDesyncsIndependently, createPair } from '../support/factories';
import { independentScheduler, overlapping, plus, sleep, testConfig } from './support';

/**
 * Two scheduler instances with separate connection pools, one database, an accelerated sync
 * schedule (every second). The database's unique claim decides who runs each occurrence.
 */

const EVERY_SECOND = '* * * * * *';
const OCCURRENCES = 20;
const base = new Date('2030-05-01T00:00:00.000Z');

let c: pg.Client;
let a: { scheduler: Scheduler; db: Db };
let b: { scheduler: Scheduler; db: Db };

beforeAll(async () => {
  c = await rawClient();
  const config = testConfig({ crons: { HEALTH_CHECK: '* * * * *', SYNC: EVERY_SECOND, RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' } });
  a = independentScheduler({ config, schedules: ['SYNC'], instanceId: 'instance-a' });
  b = independentScheduler({ config, schedules: ['SYNC'], instanceId: 'instance-b' });
});
afterAll(async () => {
  await Promise.all([a.db.$disconnect(), b.db.$disconnect()]);
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE schedule_runs, current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
});

const jitter = () => sleep(Math.floor(Math.random() * 4));

/**
 * Scheduled jobs with the moment each one held the running slot: its SYNC_JOB_STARTED audit
 * event, written right after its row was inserted. (The row's started_at is the INSERT
 * statement's start, which may precede the previous job's finish: the INSERT waits on the
 * one-running index until that job commits, and only then succeeds.)
 */
async function scheduledJobs() {
  const { rows } = await c.query<{ id: number; status: string; synced: number; started_at: Date; finished_at: Date | null }>(
    `SELECT j.id, j.status, j.synced, a.at AS started_at, j.finished_at
     FROM sync_jobs j JOIN audit_events a ON a.sync_job_id = j.id AND a.action = 'SYNC_JOB_STARTED'
     WHERE j.trigger = 'SCHEDULED' ORDER BY j.id`,
  );
  const { rows: all } = await c.query(`SELECT count(*)::int AS n FROM sync_jobs WHERE trigger = 'SCHEDULED'`);
  expect(rows).toHaveLength(all[0].n);
  return rows;
}

async function claims() {
  const { rows } = await c.query<{
    occurrence_at: Date;
    status: string;
    instance_id: string;
    sync_job_id: number | null;
    detail: string | null;
  }>(`SELECT occurrence_at, status, instance_id, sync_job_id, detail FROM schedule_runs WHERE schedule = 'SYNC' ORDER BY occurrence_at`);
  return rows;
}

describe('two instances, 20 occurrences', () => {
  it('run each occurrence exactly once, one sync job at a time', async () => {
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < OCCURRENCES; i++) {
      // Something to repair at every occurrence, so every job does real work.
      await createPair(c, { progressLevel: 3, licenseLevel: 1 });
      // Both instances wake for the same occurrence, a few milliseconds apart, and race.
      const [ra, rb] = await Promise.all([
        jitter().then(() => a.scheduler.tick(plus(base, i * 1000 + 5))),
        jitter().then(() => b.scheduler.tick(plus(base, i * 1000 + 7))),
      ]);
      expect(ra.length + rb.length, `occurrence ${i} ran ${ra.length + rb.length} times`).toBe(1);
      outcomes.push(...ra, ...rb);
    }

    expect(outcomes.map((o) => o.occurrenceAt.getTime())).toEqual(Array.from({ length: OCCURRENCES }, (_, i) => base.getTime() + i * 1000));
    expect(outcomes.every((o) => o.status === 'SUCCEEDED')).toBe(true);

    const rows = await claims();
    expect(rows).toHaveLength(OCCURRENCES);
    expect(new Set(rows.map((r) => r.occurrence_at.getTime())).size).toBe(OCCURRENCES);
    expect(rows.every((r) => r.status === 'SUCCEEDED' && ['instance-a', 'instance-b'].includes(r.instance_id))).toBe(true);

    const jobs = await scheduledJobs();
    expect(jobs).toHaveLength(OCCURRENCES);
    expect(jobs.every((j) => j.status === 'SUCCEEDED' && j.synced === 1)).toBe(true);
    expect(overlapping(jobs)).toEqual([]);
    expect(new Set(rows.map((r) => r.sync_job_id))).toEqual(new Set(jobs.map((j) => j.id)));
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });

  it('never run two sync jobs at once when each instance runs at its own pace', async () => {
    for (let i = 0; i < 40; i++) await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    // Each instance walks the 20 occurrences without waiting for the other, so one may claim
    // occurrence n+1 while the other still runs occurrence n: the engine's single running slot
    // then refuses the second job and the occurrence is recorded as SKIPPED, once.
    const walk = async (s: Scheduler, offset: number) => {
      const out: RunOutcome[] = [];
      for (let i = 0; i < OCCURRENCES; i++) {
        await jitter();
        out.push(...(await s.tick(plus(base, i * 1000 + offset))));
      }
      return out;
    };
    const [ra, rb] = await Promise.all([walk(a.scheduler, 3), walk(b.scheduler, 9)]);

    const rows = await claims();
    expect(rows).toHaveLength(OCCURRENCES);
    expect(ra.length + rb.length).toBe(OCCURRENCES);
    expect(new Set([...ra, ...rb].map((o) => o.occurrenceAt.getTime())).size).toBe(OCCURRENCES);

    const jobs = await scheduledJobs();
    const succeeded = rows.filter((r) => r.status === 'SUCCEEDED');
    const skipped = rows.filter((r) => r.status === 'SKIPPED');
    expect(succeeded.length + skipped.length).toBe(OCCURRENCES);
    expect(jobs).toHaveLength(succeeded.length);
    // Usually names the job; "another process" when that job finished between the refusal and the lookup.
    for (const s of skipped) expect(s.detail).toMatch(/already running/);
    expect(overlapping(jobs)).toEqual([]);
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });
});

describe('a scheduled sync that meets a running job', () => {
  it('is recorded as SKIPPED naming the running job, and the next occurrence runs', async () => {
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO sync_jobs (trigger, actor) VALUES ('MANUAL', 'admin@test.local') RETURNING id`,
    );
    const manual = rows[0]!.id;
    const [skipped] = await a.scheduler.tick(plus(base, 100));
    expect(skipped).toMatchObject({ status: 'SKIPPED', syncJobId: manual });
    expect(skipped!.detail).toContain(`job #${manual}, started by admin@test.local`);
    // The other instance at the same occurrence does nothing: the skip is not retried.
    expect(await b.scheduler.tick(plus(base, 300))).toEqual([]);

    await c.query(`UPDATE sync_jobs SET status = 'SUCCEEDED', finished_at = now() WHERE id = $1`, [manual]);
    const [next] = await b.scheduler.tick(plus(base, 1100));
    expect(next).toMatchObject({ status: 'SUCCEEDED', occurrenceAt: plus(base, 1000) });
    expect((await claims()).map((r) => r.status)).toEqual(['SKIPPED', 'SUCCEEDED']);
  });
});
