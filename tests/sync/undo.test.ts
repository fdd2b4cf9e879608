import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listDesyncs, previewUndo, runFullAudit, runSyncJob, runUndoJob, startSyncJob, startUndoJob } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createLearner, createPair, failWritesOf, testActor } from '../support/factories';
import {
  codeOf,
  countRows,
  imagesOf,
  installGate,
  installGateOn,
  itemsOf,
  jobRow,
  keyOf,
  removeGate,
  someoneWaitsForARowLock,
  waitUntil,
  type PairKey,
} from '../support/jobs';
import { expectSetMatchesOracle } from './detection-oracle';

/**
 * Undo of a sync job: each pair the job changed is put back to its before-image (every column
 * but version and updated_at) while it is still exactly as the job left it; a pair changed since
 * is a CONFLICT, recorded with both states and left exactly as it is. An undo can be undone.
 */

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
});
afterEach(async () => {
  await removeGate(c);
});

const undoActor = { ...testActor, label: 'undoer@test.local' };
const undo = (jobId: number, more: { batchSize?: number } = {}) =>
  runUndoJob(db, { jobId, actor: undoActor, reason: 'wrong repair', ...more });

/** One pair for every repair action, each in a state a repair changes (dates and XP included). */
async function pairForEveryAction() {
  const mismatch = await createPair(c, { progressLevel: 3, licenseLevel: 1 }); // SET_LICENSE_LEVEL
  await c.query(`UPDATE user_licenses SET last_advanced_at = started_at + interval '1 day' WHERE user_id = $1`, [mismatch.userId]);
  const noLicense = await createPair(c, { progressLevel: 2, licenseLevel: null, xp: 30_000, sessions: 13 }); // CREATE_LICENSE
  const noProgress = await createPair(c, { spec: 'COACH', progressLevel: null, licenseLevel: 4 }); // CREATE_PROGRESS
  const invalid = await createPair(c, { progressLevel: 3, licenseLevel: 3, xp: 0, sessions: 1 }); // SET_BOTH_LEVELS
  const invalidNoLicense = await createPair(c, { spec: 'INTERNSHIP', progressLevel: 2, licenseLevel: null, xp: 7 }); // SET_BOTH + license
  // RESET_LICENSE_START: a start three minutes ahead, which the database accepts (5 minutes' tolerance).
  const future = { userId: await createLearner(c), spec: 'PLAYER' };
  await c.query('BEGIN');
  await c.query(
    `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
     VALUES ($1, 'PLAYER', 2, 26000, 12)`,
    [future.userId],
  );
  await c.query(
    `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
     VALUES ($1, 'PLAYER', 2, now() + interval '3 minutes')`,
    [future.userId],
  );
  await c.query('COMMIT');
  return { mismatch, noLicense, noProgress, invalid, invalidNoLicense, future };
}

const listedKinds = async () =>
  new Map((await listDesyncs(db, { limit: 500 })).items.map((d) => [keyOf(d.userId, d.specializationId), d.kind]));

/** Rows a job re-creates have a new created_at: compare those without it (see the report). */
function withoutCreatedAtOf(images: Awaited<ReturnType<typeof imagesOf>>, recreated: string[]) {
  const out = new Map(images);
  for (const k of recreated) {
    const [key, side] = k.split('/') as [string, 'progress' | 'license'];
    const img = out.get(key)!;
    const row = img[side];
    out.set(key, { ...img, [side]: row ? { ...row, created_at: 'recreated' } : null });
  }
  return out;
}

describe('undo puts back the exact before-images', () => {
  it('of every repair action, writes one SYNC_JOB_UNDO per pair, and the desyncs are back', async () => {
    const p = await pairForEveryAction();
    const pairs: PairKey[] = Object.values(p);
    const kindsBefore = await listedKinds();
    expect([...kindsBefore.values()].sort()).toEqual([
      'INVALID_PROGRESS',
      'INVALID_PROGRESS',
      'LEVEL_MISMATCH',
      'LICENSE_IN_FUTURE',
      'MISSING_LICENSE',
      'MISSING_PROGRESS',
    ]);
    const before = await imagesOf(c, pairs);
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize: 2 });
    expect(job).toMatchObject({ status: 'SUCCEEDED', synced: 6 });
    const afterJob = await imagesOf(c, pairs);
    for (const k of pairs) expect(afterJob.get(keyOf(k.userId, k.spec))).not.toEqual(before.get(keyOf(k.userId, k.spec)));

    expect(await previewUndo(db, job.id)).toMatchObject({ jobId: job.id, changed: 6, restore: 6, conflicts: 0, unchanged: 0 });
    const u = await undo(job.id, { batchSize: 4 });
    expect(u).toMatchObject({ status: 'SUCCEEDED', trigger: 'UNDO', undoesJobId: job.id, found: 6, done: 6, synced: 6, conflicts: 0 });
    expect(u.reason).toBe('wrong repair');
    expect(await imagesOf(c, pairs)).toEqual(before);
    expect(await listedKinds()).toEqual(kindsBefore);
    await expectSetMatchesOracle(c);
    const audit = await c.query(`SELECT action, count(*)::int AS n FROM audit_events WHERE sync_job_id = $1 GROUP BY action`, [u.id]);
    expect(Object.fromEntries(audit.rows.map((r) => [r.action, r.n]))).toEqual({
      SYNC_JOB_STARTED: 1,
      SYNC_JOB_UNDO: 6,
      SYNC_JOB_FINISHED: 1,
    });
    // Each undo item mirrors the job's: before = what the job left, after = what it found; the writer is the undoer.
    const jobItems = new Map((await itemsOf(c, job.id)).map((i) => [keyOf(i.user_id, i.spec), i]));
    for (const i of await itemsOf(c, u.id)) {
      const j = jobItems.get(keyOf(i.user_id, i.spec))!;
      expect({ outcome: i.outcome, kind: i.kind, after: i.after }).toEqual({ outcome: 'SYNCED', kind: j.kind, after: j.before });
      expect(i.before).toMatchObject(j.after!); // see 'every after-image is the full image' for the part j.after may lack
    }
    expect(new Set((await listDesyncs(db, { limit: 500 })).items.map((d) => d.causedBy))).toEqual(new Set([undoActor.label]));

    // Undo of the undo: the job's after-images again. Rows it re-creates are new rows (created_at).
    const again = await undo(u.id);
    expect(again).toMatchObject({ status: 'SUCCEEDED', undoesJobId: u.id, synced: 6, conflicts: 0 });
    const recreated = [
      `${keyOf(p.noLicense.userId, 'PLAYER')}/license`,
      `${keyOf(p.noProgress.userId, 'COACH')}/progress`,
      `${keyOf(p.invalidNoLicense.userId, 'INTERNSHIP')}/license`,
    ];
    expect(withoutCreatedAtOf(await imagesOf(c, pairs), recreated)).toEqual(withoutCreatedAtOf(afterJob, recreated));
    expect((await listDesyncs(db)).total).toBe(0);

    expect(await codeOf(undo(job.id))).toBe('CONFLICT'); // already undone, by u
    await expect(previewUndo(db, job.id)).rejects.toThrow(
      `already undone: its changes were put back by job #${again.id}. Undo job #${again.id}`,
    );
  });

  it('every after-image a job records is the full image: a license it did not write keeps its start and last advance', async () => {
    await pairForEveryAction();
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const lacking = (await itemsOf(c, job.id))
      .filter((i) => i.after!.licenseLevel !== null && !('licenseStartedAt' in i.after! && 'licenseLastAdvancedAt' in i.after!))
      .map((i) => `${i.kind}: ${JSON.stringify(i.after)}`);
    expect(lacking).toEqual([]);
  });

  it('a row the undo of an undo re-creates is a new row: the after-image but for created_at', async () => {
    const { userId } = await createPair(c, { progressLevel: 2, licenseLevel: null });
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const afterJob = (await imagesOf(c, [{ userId, spec: 'PLAYER' }])).get(keyOf(userId, 'PLAYER'))!;
    const u = await startUndoJob(db, { jobId: job.id, actor: undoActor, reason: 'in the background' });
    expect(u).toMatchObject({ status: 'RUNNING', trigger: 'UNDO', undoesJobId: job.id });
    await waitUntil(async () => (await jobRow(c, u.id)).status !== 'RUNNING');
    expect((await imagesOf(c, [{ userId, spec: 'PLAYER' }])).get(keyOf(userId, 'PLAYER'))!.license).toBeNull();
    await c.query(`SELECT pg_sleep(0.01)`);
    await undo(u.id);
    const now = (await imagesOf(c, [{ userId, spec: 'PLAYER' }])).get(keyOf(userId, 'PLAYER'))!;
    expect(now.progress).toEqual(afterJob.progress);
    const { created_at: recreatedAt, ...license } = now.license!;
    const { created_at: createdAt, ...expected } = afterJob.license!;
    expect(license).toEqual(expected); // the same start, level and last advance
    expect((recreatedAt as Date).getTime()).toBeGreaterThan((createdAt as Date).getTime());
  });
});

describe('a pair changed after the job is a CONFLICT, left exactly as it is', () => {
  it('XP written, license level changed, a row deleted, a version bumped by a no-op UPDATE', async () => {
    const p = await pairForEveryAction();
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const afterJob = await imagesOf(c, Object.values(p));
    await c.query(`UPDATE specialization_progress SET total_xp = total_xp + 5 WHERE user_id = $1`, [p.mismatch.userId]);
    await c.query(`UPDATE user_licenses SET current_level = 5 WHERE user_id = $1`, [p.noProgress.userId]);
    await c.query(`DELETE FROM user_licenses WHERE user_id = $1`, [p.noLicense.userId]);
    await c.query(`UPDATE specialization_progress SET total_xp = total_xp WHERE user_id = $1`, [p.invalid.userId]);
    const changed = [p.mismatch, p.noProgress, p.noLicense, p.invalid];
    const exactBefore = await imagesOf(c, changed, { exact: true });

    const preview = await previewUndo(db, job.id, { limit: 100 });
    expect(preview).toMatchObject({ changed: 6, restore: 2, conflicts: 4, unchanged: 0 });
    const u = await undo(job.id);
    expect(u).toMatchObject({ synced: preview.restore, conflicts: preview.conflicts, failed: 0 });
    expect(await imagesOf(c, changed, { exact: true })).toEqual(exactBefore);
    const restored = await imagesOf(c, [p.invalidNoLicense, p.future]);
    expect(restored.get(keyOf(p.future.userId, 'PLAYER'))).not.toEqual(afterJob.get(keyOf(p.future.userId, 'PLAYER')));

    const items = new Map((await itemsOf(c, u.id)).map((i) => [keyOf(i.user_id, i.spec), i]));
    const previewed = new Map(preview.items.map((i) => [keyOf(i.userId, i.specializationId), i.outcome]));
    expect(new Map([...items].map(([k, i]) => [k, i.outcome]))).toEqual(previewed);
    const conflict = (k: PairKey) => items.get(keyOf(k.userId, k.spec))!;
    expect(conflict(p.mismatch)).toMatchObject({
      outcome: 'CONFLICT',
      before: { progressLevel: 3, licenseLevel: 3, totalXp: 55_005 },
      after: { progressLevel: 3, licenseLevel: 3, totalXp: 55_000 },
      error: expect.stringMatching(/progress is now level 3, 55005 XP/),
    });
    expect(conflict(p.noProgress)).toMatchObject({
      outcome: 'CONFLICT',
      before: { licenseLevel: 5 },
      after: { licenseLevel: 4 },
      error: expect.stringMatching(/license is now level 5/),
    });
    expect(conflict(p.noLicense)).toMatchObject({
      outcome: 'CONFLICT',
      before: { licenseLevel: null },
      error: expect.stringMatching(/license was deleted/),
    });
    expect(conflict(p.invalid).error).toMatch(/progress was written again \(version \d+ -> \d+\)/);
    const audits = await c.query(`SELECT user_id FROM audit_events WHERE action = 'SYNC_JOB_UNDO' AND sync_job_id = $1`, [u.id]);
    expect(audits.rows.map((r) => r.user_id).sort()).toEqual([p.invalidNoLicense.userId, p.future.userId].sort());
    expect((await jobRow(c, u.id)).conflicts).toBe(4);
  });

  it('a license re-created with another start after the job (its version 1 again) is a conflict, not overwritten', async () => {
    const { userId } = await createPair(c, { spec: 'COACH', progressLevel: null, licenseLevel: 2 }); // CREATE_PROGRESS
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    await c.query('BEGIN');
    await c.query(`DELETE FROM user_licenses WHERE user_id = $1`, [userId]);
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'COACH', 2, now() - interval '1 day')`,
      [userId],
    );
    await c.query('COMMIT');
    const exact = await imagesOf(c, [{ userId, spec: 'COACH' }], { exact: true });
    const u = await undo(job.id);
    expect(await imagesOf(c, [{ userId, spec: 'COACH' }], { exact: true })).toEqual(exact);
    expect(u).toMatchObject({ synced: 0, conflicts: 1 });
  });

  it('an undo that restores nothing (every pair changed) still ends, with only conflicts', async () => {
    const a = await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    await c.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1`, [a.userId]);
    const u = await undo(job.id);
    expect(u).toMatchObject({ synced: 0, conflicts: 1, failed: 0 });
    // It ends SUCCEEDED but put nothing back, so it does not count as the job's undo: the job can
    // be undone again (once the pair is back as the job left it), and the undo itself has nothing to undo.
    expect(u.status).toBe('SUCCEEDED');
    await expect(undo(u.id)).rejects.toThrow(`Sync job #${u.id} changed no pair: there is nothing to undo.`);
    await c.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [a.userId]);
    expect(await undo(job.id)).toMatchObject({ status: 'SUCCEEDED', synced: 0, conflicts: 1 }); // version bumped: still a conflict
    await expect(undo(job.id)).resolves.toMatchObject({ conflicts: 1 });
  });
});

describe('undo never half-writes', () => {
  it('a license start the database refuses (3 days ahead) makes that pair FAILED, untouched; the others are put back', async () => {
    const far = await createPair(c, { progressLevel: 2 });
    const other = await createPair(c, { progressLevel: 3, licenseLevel: 2 });
    await c.query(`SET session_replication_role = replica`);
    await c.query(`UPDATE user_licenses SET started_at = now() + interval '3 days' WHERE user_id = $1`, [far.userId]);
    await c.query(`SET session_replication_role = origin`);
    await runFullAudit(db);
    const before = await imagesOf(c, [other]);
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    expect(job.synced).toBe(2);
    const exactAfterJob = await imagesOf(c, [far], { exact: true });
    // QUESTION (see the report): the dry run cannot tell that the database will refuse the far start.
    expect(await previewUndo(db, job.id)).toMatchObject({ restore: 2, conflicts: 0, unchanged: 0 });

    const u = await undo(job.id);
    expect(u).toMatchObject({ status: 'PARTIAL', synced: 1, failed: 1, conflicts: 0 });
    expect(await imagesOf(c, [far], { exact: true })).toEqual(exactAfterJob);
    expect(await imagesOf(c, [other])).toEqual(before);
    const failed = (await itemsOf(c, u.id)).find((i) => i.user_id === far.userId)!;
    expect(failed).toMatchObject({ outcome: 'FAILED', after: null, error: expect.stringMatching(/cannot start in the future/) });
    expect(failed.error).not.toMatch(/\n|SELECT|jsonb_to_recordset/);
  });

  it('a fault on the second row of a pair rolls its first row back: the pair stays as the job left it', async () => {
    const a = await createPair(c, { progressLevel: 3, licenseLevel: 3, xp: 0, sessions: 1 }); // both rows written by undo
    const b = await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    const before = await imagesOf(c, [b]);
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const exactAfterJob = await imagesOf(c, [a], { exact: true });
    const restore = await failWritesOf(c, 'user_licenses', a.userId);
    try {
      const u = await undo(job.id);
      expect(u).toMatchObject({ status: 'PARTIAL', synced: 1, failed: 1 });
    } finally {
      await restore();
    }
    expect(await imagesOf(c, [a], { exact: true })).toEqual(exactAfterJob);
    expect(await imagesOf(c, [b])).toEqual(before);
  });
});

describe('what cannot be undone is refused, and nothing is written', () => {
  it('a running job, a job that changed nothing, an unknown job, a missing reason, bad ids; any undo while a job runs', async () => {
    const a = await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    const b = await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    const empty = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: { kind: 'MISSING_PROGRESS' } });
    expect(empty).toMatchObject({ status: 'SUCCEEDED', synced: 0 });
    const done = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: { learner: b.userId } });
    expect(done.synced).toBe(1);
    const jobs = await countRows(c, 'sync_jobs');
    expect(await codeOf(undo(empty.id))).toBe('CONFLICT');
    expect(await codeOf(previewUndo(db, empty.id))).toBe('CONFLICT');
    expect(await codeOf(undo(999_999))).toBe('NOT_FOUND');
    expect(await codeOf(previewUndo(db, 999_999))).toBe('NOT_FOUND');
    for (const reason of [undefined, null, '', '   ', 'x'.repeat(501), 'a\u0000b', 42, ['x'], { toString: () => 'x' }]) {
      expect(await codeOf(runUndoJob(db, { jobId: done.id, actor: undoActor, reason: reason as string }))).toBe('VALIDATION');
    }
    for (const id of [0, -1, NaN, Infinity, 2 ** 31, 1.5, '1', null, undefined, {}, [1], 10n]) {
      expect(await codeOf(undo(id as number))).toBe('VALIDATION');
      expect(await codeOf(startUndoJob(db, { jobId: id as number, actor: undoActor, reason: 'r' }))).toBe('VALIDATION');
      expect(await codeOf(previewUndo(db, id as number))).toBe('VALIDATION');
    }
    expect(await countRows(c, 'sync_jobs')).toBe(jobs);

    // A running job (held in its first batch) cannot be undone, and it holds the slot against every undo.
    const gate = await installGate(c, [a.userId]);
    await gate.close();
    const running = await startSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    await waitUntil(async () => (await gate.waiting()) > 0);
    expect(await codeOf(undo(running.id))).toBe('CONFLICT');
    expect(await codeOf(previewUndo(db, running.id))).toBe('CONFLICT');
    expect(await codeOf(undo(done.id))).toBe('ALREADY_RUNNING');
    expect(await countRows(c, 'sync_jobs')).toBe(jobs + 1);
    await gate.open();
    await waitUntil(async () => (await jobRow(c, running.id)).status !== 'RUNNING');
    expect(await undo(done.id)).toMatchObject({ status: 'SUCCEEDED', synced: 1 });
    expect(await undo(running.id)).toMatchObject({ status: 'SUCCEEDED', synced: 1 });
  });

  it('a second undo of a job, checked while the first undo was ending, is refused (one undo per job)', async () => {
    await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    // The first undo's closing write (RUNNING -> SUCCEEDED) is held, uncommitted, at the gate.
    const gate = await installGateOn(
      c,
      'sync_jobs',
      'AFTER UPDATE',
      `OLD.status = 'RUNNING' AND NEW.status <> 'RUNNING' AND NEW.trigger = 'UNDO'`,
    );
    await gate.close();
    const first = undo(job.id);
    await waitUntil(async () => (await gate.waiting()) > 0);
    const second = codeOf(undo(job.id)); // the first undo is RUNNING as far as the second's checks can see
    await waitUntil(() => someoneWaitsForARowLock(c)); // its claim waits for the first undo to commit
    await gate.open();
    expect(await first).toMatchObject({ status: 'SUCCEEDED', synced: 1 });
    const outcome = await second;
    const undos = await c.query(`SELECT id, status, synced, conflicts FROM sync_jobs WHERE undoes_job_id = $1 ORDER BY id`, [job.id]);
    expect(outcome, JSON.stringify(undos.rows)).toBe('CONFLICT');
    expect(undos.rows.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(1);
  });
});
