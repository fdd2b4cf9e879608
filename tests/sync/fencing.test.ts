import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../lib/db/prisma';
import { abandonStaleJobs, runSyncJob, type SyncJobSummary } from '../../lib/sync';
import { rawClient, testDatabaseUrl } from '../support/db';
import { countDesyncsIndependently, createPair, testActor } from '../support/factories';

/**
 * One sync job at a time, even when a batch is slow: two "instances" (each its own pool), the
 * first running a job whose license writes are slowed by a trigger, the second sweeping with a
 * heartbeat timeout shorter than a batch and then starting its own job.
 */

let c: pg.Client;
let instanceA: Db;
let instanceB: Db;
beforeAll(async () => {
  c = await rawClient();
  instanceA = createDb(testDatabaseUrl, { poolSize: 4 });
  instanceB = createDb(testDatabaseUrl, { poolSize: 4 });
});
afterAll(async () => {
  await c.query(`DROP TRIGGER IF EXISTS slow_license_writes ON user_licenses`);
  await c.query(`DROP FUNCTION IF EXISTS slow_license_writes()`);
  await c.end();
  await Promise.all([instanceA.$disconnect(), instanceB.$disconnect()]);
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function slowLicenseWrites(seconds: number) {
  await c.query(`CREATE OR REPLACE FUNCTION slow_license_writes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${seconds}); RETURN NEW; END $$`);
  await c.query(`DROP TRIGGER IF EXISTS slow_license_writes ON user_licenses`);
  await c.query(`CREATE TRIGGER slow_license_writes BEFORE UPDATE ON user_licenses FOR EACH ROW EXECUTE FUNCTION slow_license_writes()`);
}

async function itemsOf(jobId: number) {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM sync_job_items WHERE job_id = $1`, [jobId]);
  return rows[0]!.n;
}

async function jobRow(id: number) {
  const { rows } = await c.query(`SELECT status, error, done, synced FROM sync_jobs WHERE id = $1`, [id]);
  return rows[0] as { status: string; error: string | null; done: number; synced: number };
}

describe('a sync job whose batch outlives the heartbeat timeout', () => {
  it('is fenced once abandoned: it commits nothing more, stays ABANDONED, and the next job completes the repair', async () => {
    for (let i = 0; i < 12; i++) await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    await slowLicenseWrites(0.35); // a batch of 3 pairs takes about a second

    // Instance A runs with a long timeout, so its own heartbeats are far apart: a process whose
    // timers stalled (a long GC pause, a frozen VM) looks exactly like this to the others.
    const jobA: Promise<SyncJobSummary> = runSyncJob(instanceA, {
      trigger: 'SCHEDULED',
      actor: testActor,
      batchSize: 3,
      heartbeatTimeoutMs: 600_000,
    });
    let aId = 0;
    for (let i = 0; i < 200 && !aId; i++) {
      const { rows } = await c.query<{ id: number; done: number }>(`SELECT id, done FROM sync_jobs WHERE status = 'RUNNING'`);
      if (rows[0] && rows[0].done >= 3) aId = rows[0].id;
      else await sleep(50);
    }
    expect(aId).toBeGreaterThan(0);
    await sleep(400); // mid-batch: A's last heartbeat is older than B's timeout

    // Instance B sweeps with a timeout shorter than a batch and takes over.
    const abandoned = await abandonStaleJobs(instanceB, 300);
    expect(abandoned.map((j) => j.id)).toEqual([aId]);
    const itemsWhenAbandoned = await itemsOf(aId);
    const jobB = await runSyncJob(instanceB, { trigger: 'MANUAL', actor: { ...testActor, label: 'instance-b' }, batchSize: 3 });
    const endA = await jobA;

    // A committed nothing after it was abandoned, and could not rewrite its status.
    expect(await itemsOf(aId)).toBe(itemsWhenAbandoned);
    const rowA = await jobRow(aId);
    expect(rowA.status).toBe('ABANDONED');
    expect(rowA.error).toMatch(/No heartbeat since/);
    expect(endA.status).toBe('ABANDONED');

    // B repaired the rest; every pair was repaired exactly once, by one job or the other.
    expect(jobB.status).toBe('SUCCEEDED');
    const { rows: repaired } = await c.query<{ n: number; pairs: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (user_id, specialization_id))::int AS pairs
       FROM sync_job_items WHERE outcome = 'SYNCED'`,
    );
    expect(repaired[0]).toEqual({ n: 12, pairs: 12 });
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });

  it('keeps beating while a slow batch runs, so a sweep with the same timeout leaves it alone', async () => {
    for (let i = 0; i < 6; i++) await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    await slowLicenseWrites(0.5); // a batch of 3 takes 1.5 s, longer than the 1.2 s timeout
    const job = runSyncJob(instanceA, { trigger: 'SCHEDULED', actor: testActor, batchSize: 3, heartbeatTimeoutMs: 1200 });
    const swept: number[] = [];
    let finished = false;
    void job.finally(() => (finished = true));
    while (!finished) {
      for (const j of await abandonStaleJobs(instanceB, 1200)) swept.push(j.id);
      await sleep(100);
    }
    expect(swept).toEqual([]);
    expect((await job).status).toBe('SUCCEEDED');
  });
});
