import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  getRunningJob,
  listDesyncs,
  listSyncJobItems,
  previewSync,
  runFullAudit,
  runSyncJob,
  startSyncJob,
  syncPair,
  type SyncJobSummary,
} from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { countDesyncsIndependently, createPair, failWritesOf, readPairRaw, testActor } from '../support/factories';

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

/** Every test starts from an empty set of pairs, so job counts are exact. */
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
});

async function waitForJob(id: number): Promise<SyncJobSummary> {
  for (;;) {
    const { rows } = await c.query(`SELECT status FROM sync_jobs WHERE id = $1`, [id]);
    if (rows[0]?.status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const { items } = await import('../../lib/sync').then((m) => m.listSyncJobs(db, { limit: 50 }));
  return items.find((j) => j.id === id)!;
}

describe('syncPair', () => {
  it('repairs each kind by the policy and is a no-op the second time', async () => {
    const mismatch = await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    const noLicense = await createPair(c, { progressLevel: 2, licenseLevel: null });
    const noProgress = await createPair(c, { spec: 'COACH', progressLevel: null, licenseLevel: 4 });

    expect(await syncPair(db, mismatch.userId, 'PLAYER', testActor)).toMatchObject({
      outcome: 'SYNCED',
      kind: 'LEVEL_MISMATCH',
      after: { licenseLevel: 3 },
    });
    expect((await readPairRaw(c, mismatch.userId, 'PLAYER')).license.current_level).toBe(3);

    expect(await syncPair(db, noLicense.userId, 'PLAYER', testActor)).toMatchObject({ outcome: 'SYNCED', kind: 'MISSING_LICENSE' });
    expect((await readPairRaw(c, noLicense.userId, 'PLAYER')).license.current_level).toBe(2);

    expect(await syncPair(db, noProgress.userId, 'COACH', testActor)).toMatchObject({ outcome: 'SYNCED', kind: 'MISSING_PROGRESS' });
    expect((await readPairRaw(c, noProgress.userId, 'COACH')).progress).toMatchObject({
      current_level: 4,
      total_xp: 80_000,
      completed_sessions: 36,
    });

    const versions = await readPairRaw(c, mismatch.userId, 'PLAYER');
    expect(await syncPair(db, mismatch.userId, 'PLAYER', testActor)).toMatchObject({ outcome: 'NOOP' });
    expect(await readPairRaw(c, mismatch.userId, 'PLAYER')).toEqual(versions);
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'SYNC_PAIR'`);
    expect(rows[0].n).toBe(3);
  });

  it('reports an orphan and never deletes it', async () => {
    await c.query(`SET session_replication_role = replica`);
    await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES (777777, 'PLAYER', 1, 0, 0)`,
    );
    await c.query(`SET session_replication_role = origin`);
    expect(await syncPair(db, 777777, 'PLAYER', testActor)).toMatchObject({ outcome: 'REPORTED', kind: 'ORPHAN_PROGRESS' });
    expect((await readPairRaw(c, 777777, 'PLAYER')).progress).not.toBeNull();
  });
});

describe('runSyncJob', () => {
  async function makeDesyncs() {
    const pairs = [];
    for (let i = 0; i < 6; i++) pairs.push(await createPair(c, { progressLevel: 2 + (i % 3), licenseLevel: 1 }));
    for (let i = 0; i < 4; i++) pairs.push(await createPair(c, { spec: 'INTERNSHIP', progressLevel: 2, licenseLevel: null }));
    for (let i = 0; i < 3; i++) pairs.push(await createPair(c, { spec: 'COACH', progressLevel: null, licenseLevel: 2 }));
    for (let i = 0; i < 5; i++) await createPair(c, { progressLevel: 1 }); // consistent
    return pairs;
  }

  it('a dry run writes nothing, and a real run then does exactly what it showed', async () => {
    await makeDesyncs();
    const snapshot = async () =>
      (await c.query(`SELECT * FROM specialization_progress ORDER BY 1, 2`)).rows.concat(
        (await c.query(`SELECT * FROM user_licenses ORDER BY 1, 2`)).rows,
      );
    const before = await snapshot();
    const preview = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, dryRun: true });
    expect(preview.found).toBe(13);
    expect(preview.byKind).toMatchObject({ LEVEL_MISMATCH: 6, MISSING_LICENSE: 4, MISSING_PROGRESS: 3 });
    expect(await snapshot()).toEqual(before);
    expect((await c.query(`SELECT count(*)::int AS n FROM sync_jobs`)).rows[0].n).toBe(0);

    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, reason: 'weekly cleanup', batchSize: 4 });
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      found: 13,
      synced: 13,
      failed: 0,
      done: 13,
      reason: 'weekly cleanup',
      actor: testActor.label,
      trigger: 'MANUAL',
    });
    expect(job.durationMs).toBeGreaterThanOrEqual(0);
    const { items, total } = await listSyncJobItems(db, job.id, { limit: 100 });
    expect(total).toBe(13);
    const key = (i: { userId: number; specializationId: string }) => `${i.userId}:${i.specializationId}`;
    // The recorded after-image adds what only the write knows: a written license's start and last advance.
    const created = items.filter((i) => i.kind === 'MISSING_LICENSE');
    expect(created.map((i) => typeof i.after?.licenseStartedAt)).toEqual(['string', 'string', 'string', 'string']);
    type Image = NonNullable<(typeof items)[number]['after']>;
    const levels = ({ licenseStartedAt: _s, licenseLastAdvancedAt: _a, ...rest }: Image) => rest;
    expect(items.map((i) => [key(i), i.kind, i.before, i.after && levels(i.after)]).sort()).toEqual(
      preview.items.map((i) => [key(i), i.kind, i.before, i.after && levels(i.after)]).sort(),
    );
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
    // The job refreshed the figures: the dashboard's list is empty.
    expect((await listDesyncs(db)).total).toBe(0);
  });

  it('is idempotent: a second job finds nothing', async () => {
    await makeDesyncs();
    await runSyncJob(db, { trigger: 'SCHEDULED', actor: { label: 'scheduler', source: 'SYNC_JOB' } });
    const again = await runSyncJob(db, { trigger: 'SCHEDULED', actor: { label: 'scheduler', source: 'SYNC_JOB' } });
    expect(again).toMatchObject({ status: 'SUCCEEDED', found: 0, synced: 0 });
  });

  it('records a failing pair as FAILED and repairs the others (PARTIAL)', async () => {
    const pairs = await makeDesyncs();
    const bad = pairs[0]!;
    const restore = await failWritesOf(c, 'user_licenses', bad.userId);
    let job: SyncJobSummary;
    try {
      job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize: 5 });
    } finally {
      await restore();
    }
    expect(job).toMatchObject({ status: 'PARTIAL', found: 13, synced: 12, failed: 1 });
    const { items } = await listSyncJobItems(db, job.id, { limit: 100 });
    const failed = items.filter((i) => i.outcome === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ userId: bad.userId, after: null });
    expect(failed[0]!.error).toMatch(/injected fault/);
    expect((await readPairRaw(c, bad.userId, 'PLAYER')).license.current_level).toBe(1);
  });

  it('two jobs started at once: exactly one runs, the other gets ALREADY_RUNNING naming who', async () => {
    await makeDesyncs();
    const a = { label: 'alice@test.local', source: 'ADMIN' as const };
    const b = { label: 'bob@test.local', source: 'ADMIN' as const };
    const results = await Promise.allSettled([
      runSyncJob(db, { trigger: 'MANUAL', actor: a }),
      runSyncJob(db, { trigger: 'MANUAL', actor: b }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ code: 'ALREADY_RUNNING' });
    expect(refused[0]!.reason.message).toMatch(/alice@test\.local|bob@test\.local/);
    expect((await c.query(`SELECT count(*)::int AS n FROM sync_jobs`)).rows[0].n).toBe(1);
  });

  it('shows progress while it runs and refuses a second start meanwhile', async () => {
    for (let i = 0; i < 30; i++) await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    const seen: { done: number; total: number }[] = [];
    let runningSeen: SyncJobSummary | null = null;
    let secondStart: unknown;
    const job = await runSyncJob(db, {
      trigger: 'MANUAL',
      actor: testActor,
      batchSize: 10,
      onProgress: (done, total) => {
        seen.push({ done, total });
      },
    });
    expect(seen).toEqual([
      { done: 0, total: 30 },
      { done: 10, total: 30 },
      { done: 20, total: 30 },
      { done: 30, total: 30 },
    ]);
    expect(job.done).toBe(30);

    const pairs = [];
    for (let i = 0; i < 30; i++) pairs.push(await createPair(c, { progressLevel: 2, licenseLevel: 1 }));
    // Hold the last pair's row lock so the job is certainly still running while we look.
    const blocker = await rawClient();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM specialization_progress WHERE user_id = $1 FOR UPDATE`, [pairs.at(-1)!.userId]);
    const started = await startSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize: 1 });
    expect(started.status).toBe('RUNNING');
    try {
      await startSyncJob(db, { trigger: 'MANUAL', actor: { label: 'other@test.local', source: 'ADMIN' } });
    } catch (err) {
      secondStart = err;
    }
    for (let i = 0; i < 400 && (runningSeen?.done ?? 0) < 29; i++) {
      runningSeen = await getRunningJob(db);
      await new Promise((r) => setTimeout(r, 25));
    }
    await blocker.query('COMMIT');
    await blocker.end();
    const finished = await waitForJob(started.id);
    expect(runningSeen).toMatchObject({ done: 29, total: 30 });
    expect(runningSeen).toMatchObject({ id: started.id, status: 'RUNNING', actor: testActor.label });
    expect(secondStart).toMatchObject({ code: 'ALREADY_RUNNING', details: { running: { jobId: started.id, actor: testActor.label } } });
    expect(finished).toMatchObject({ status: 'SUCCEEDED', synced: 30, total: 30 });
  });

  it('stops between batches when cancelled (shutdown), freeing the slot', async () => {
    await makeDesyncs();
    const controller = new AbortController();
    const job = await runSyncJob(db, {
      trigger: 'SCHEDULED',
      actor: testActor,
      batchSize: 5,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 5) controller.abort('test shutdown');
      },
    });
    expect(job).toMatchObject({ status: 'FAILED', done: 5, synced: 5 });
    expect(job.error).toMatch(/cancelled \(test shutdown\) after 5 of 13/);
    expect(await getRunningJob(db)).toBeNull();
    expect((await runSyncJob(db, { trigger: 'MANUAL', actor: testActor })).synced).toBe(8);
  });

  it('writes one audit event per repaired pair, tied to the job', async () => {
    await makeDesyncs();
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const { rows } = await c.query(
      `SELECT count(*)::int AS n, count(DISTINCT (user_id, specialization_id))::int AS pairs
       FROM audit_events WHERE action = 'SYNC_JOB_REPAIR' AND sync_job_id = $1`,
      [job.id],
    );
    expect(rows[0]).toEqual({ n: 13, pairs: 13 });
  });

  it('the health check after a job reflects the repairs', async () => {
    await makeDesyncs();
    expect((await runFullAudit(db)).consistentPairs).toBe(5);
    await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const check = await runFullAudit(db);
    expect(check.consistencyRate).toBe(1);
    expect(await previewSync(db)).toMatchObject({ found: 0, items: [] });
  });
});
