import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../lib/db/prisma';
import { cancelSyncJob, getRunningJob, runSyncJob, runUndoJob, type SyncJobSummary } from '../../lib/sync';
import { expectRefused, rawClient, testDatabaseUrl } from '../support/db';
import { createPair, slowLicenseUpdates, testActor } from '../support/factories';
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
  sleep,
  someoneWaitsForARowLock,
  waitUntil,
  type PairKey,
} from '../support/jobs';
import { expectSetMatchesOracle } from './detection-oracle';

/**
 * Cancel: a RUNNING job ends CANCELLED at once, from any instance (here each "instance" is its
 * own pool); the batch in flight rolls back (its write is fenced on status = 'RUNNING'), the
 * batches it committed stay with their items, and the slot is free before that batch even ends.
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
  await c.end();
  await Promise.all([instanceA.$disconnect(), instanceB.$disconnect()]);
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
});
let unslow: (() => Promise<void>) | null = null;
afterEach(async () => {
  await removeGate(c);
  await unslow?.();
  unslow = null;
});

/** Longer than Prisma's default interactive-transaction timeout (5 s). */
const HOLD_MS = 6_500;
const canceller = { ...testActor, label: 'canceller@test.local' };

/** `n` PLAYER desyncs in plan order (by learner): level mismatches, every third one invalid progress (both rows written). */
async function desyncs(n: number): Promise<PairKey[]> {
  const out: PairKey[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await createPair(c, i % 3 === 2 ? { progressLevel: 3, licenseLevel: 3, xp: 0 } : { progressLevel: 2 + (i % 2), licenseLevel: 1 }),
    );
  }
  return out.sort((a, b) => a.userId - b.userId);
}

/** Cancels on instance B; fails (after letting the batch go) if the cancel waits behind the batch in flight. */
async function cancelWithoutWaiting(jobId: number, open: () => Promise<unknown>): Promise<SyncJobSummary> {
  let settled = false;
  const cancel = cancelSyncJob(instanceB, jobId, canceller).finally(() => (settled = true));
  let blocked = false;
  while (!settled && !blocked) {
    blocked = await someoneWaitsForARowLock(c);
    await sleep(10);
  }
  if (blocked) await open();
  const summary = await cancel;
  expect(blocked, 'the cancel waited for the batch in flight').toBe(false);
  return summary;
}

describe('cancel of a running job', () => {
  it('by another instance, mid-batch: CANCELLED at once, the batch in flight rolls back, committed batches kept, slot free', async () => {
    const pairs = await desyncs(12);
    const before = await imagesOf(c, pairs, { exact: true });
    const beforeImages = await imagesOf(c, pairs);
    const gate = await installGate(c, [pairs[4]!.userId]); // the second batch of three waits at the gate
    await gate.close();
    const running = runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor, batchSize: 3 });
    await waitUntil(async () => (await gate.waiting()) > 0);
    const id = (await getRunningJob(instanceB))!.id;
    expect(await jobRow(c, id)).toMatchObject({ status: 'RUNNING', done: 3 });
    const elsewhere = await createPair(c, { spec: 'COACH', progressLevel: 2, licenseLevel: 1 }); // not in the job's plan

    const cancelled = await cancelWithoutWaiting(id, gate.open);
    expect(cancelled).toMatchObject({
      id,
      status: 'CANCELLED',
      cancelledBy: canceller.label,
      error: `cancelled by ${canceller.label}`,
      done: 3,
    });
    expect(cancelled.finishedAt).toBeInstanceOf(Date);
    expect(cancelled.durationMs).toEqual(expect.any(Number));
    // The slot is free while the old batch still waits: another job is claimed, runs and ends.
    expect(await gate.waiting()).toBe(1);
    expect(await getRunningJob(instanceB)).toBeNull();
    const next = await runSyncJob(instanceB, { trigger: 'MANUAL', actor: canceller, scope: { specialization: 'COACH' } });
    expect(next).toMatchObject({ status: 'SUCCEEDED', synced: 1 });
    expect(await gate.waiting()).toBe(1);
    const mended = (await imagesOf(c, [elsewhere])).get(keyOf(elsewhere.userId, 'COACH'))!;
    expect(mended.license!.current_level).toBe(2);

    await gate.open();
    const ended = await running;
    expect(ended).toMatchObject({ id, status: 'CANCELLED', done: 3, synced: 3 });
    const row = await jobRow(c, id);
    expect(row).toMatchObject({ status: 'CANCELLED', cancelled_by: canceller.label, error: `cancelled by ${canceller.label}`, done: 3 });
    expect(row.done % 3).toBe(0);
    const items = await itemsOf(c, id);
    expect(items.map((i) => keyOf(i.user_id, i.spec))).toEqual(pairs.slice(0, 3).map((p) => keyOf(p.userId, p.spec)));
    expect(items.every((i) => i.outcome === 'SYNCED')).toBe(true);
    // Committed pairs are repaired (both rows); the rolled-back batch and the rest are untouched, versions included.
    const now = await imagesOf(c, pairs, { exact: true });
    for (const [n, p] of pairs.entries()) {
      const k = keyOf(p.userId, p.spec);
      if (n < 3) expect(now.get(k)!.license!.current_level).toBe(now.get(k)!.progress!.current_level);
      else expect(now.get(k), `pair #${n}`).toEqual(before.get(k));
    }
    const audit = await c.query(`SELECT action, actor, after FROM audit_events WHERE sync_job_id = $1 ORDER BY id`, [id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['SYNC_JOB_STARTED', ...Array(3).fill('SYNC_JOB_REPAIR'), 'SYNC_JOB_CANCELLED']);
    expect(audit.rows.at(-1)).toMatchObject({ actor: canceller.label, after: { done: 3, total: 12, synced: 3, failed: 0 } });
    await expectSetMatchesOracle(c);
    // The next job repairs the rest; an undo of the cancelled job puts back exactly what it kept.
    expect(await runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor })).toMatchObject({ status: 'SUCCEEDED', synced: 9 });
    expect(await runUndoJob(instanceB, { jobId: id, actor: testActor, reason: 'r' })).toMatchObject({ synced: 3, conflicts: 0 });
    const undone = await imagesOf(c, pairs.slice(0, 3));
    for (const p of pairs.slice(0, 3)) expect(undone.get(keyOf(p.userId, p.spec))).toEqual(beforeImages.get(keyOf(p.userId, p.spec)));
  });

  it('that arrives after the batch in flight wrote its job row waits for that batch (kept), and does not give up after 5 s', async () => {
    const pairs = await desyncs(9);
    // The second batch is held after its statement updated the job row: at its audit events (written later in that statement).
    const gate = await installGateOn(
      c,
      'audit_events',
      'BEFORE INSERT',
      `NEW.action = 'SYNC_JOB_REPAIR' AND NEW.user_id = ${pairs[4]!.userId}`,
    );
    await gate.close();
    const running = runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor, batchSize: 3 });
    await waitUntil(async () => (await gate.waiting()) > 0);
    const id = (await getRunningJob(instanceB))!.id;
    let settled = false;
    const cancel = cancelSyncJob(instanceB, id, canceller).finally(() => (settled = true));
    await waitUntil(async () => settled || (await someoneWaitsForARowLock(c)));
    expect(settled).toBe(false); // the cancel waits behind the batch's lock on the job row
    // However long that tail takes (the batch's own transaction may take 120 s), the cancel must not give up.
    await sleep(HOLD_MS);
    await gate.open();
    const [outcome, ended] = [await codeOf(cancel), await running]; // the job has ended either way: nothing leaks into the next test
    expect(outcome).toBe('accepted');
    expect(await cancel).toMatchObject({ status: 'CANCELLED', done: 6, total: 9 });
    expect(ended).toMatchObject({ status: 'CANCELLED', done: 6, synced: 6 });
    expect((await itemsOf(c, id)).map((i) => i.user_id)).toEqual(pairs.slice(0, 6).map((p) => p.userId));
  });

  it('whose process is gone (no executor): cancelled all the same; of two cancels at once, one wins, one is told it ended', async () => {
    const { rows } = await c.query<{ id: number }>(`INSERT INTO sync_jobs (trigger, actor) VALUES ('MANUAL', 'gone') RETURNING id`);
    const id = rows[0]!.id;
    const [a, b] = await Promise.allSettled([
      cancelSyncJob(instanceA, id, canceller),
      cancelSyncJob(instanceB, id, { ...canceller, label: 'other@test.local' }),
    ]);
    const won = [a, b].filter((r) => r.status === 'fulfilled');
    const lost = [a, b].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code: string }).code)).toEqual(['CONFLICT']);
    const row = await jobRow(c, id);
    expect(row.status).toBe('CANCELLED');
    expect(row.error).toBe(`cancelled by ${row.cancelled_by as string}`);
    const audit = await c.query(`SELECT actor FROM audit_events WHERE action = 'SYNC_JOB_CANCELLED' AND sync_job_id = $1`, [id]);
    expect(audit.rows).toEqual([{ actor: row.cancelled_by }]);
    expect(await getRunningJob(instanceA)).toBeNull();
  });

  it('at arbitrary moments, batches slowed by pg_sleep: never a half-written pair, done a multiple of the batch', async () => {
    for (let round = 0; round < 4; round++) {
      await c.query(`TRUNCATE current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
      const pairs = await desyncs(32);
      const before = await imagesOf(c, pairs, { exact: true });
      unslow = await slowLicenseUpdates(c, 0.15);
      const running = runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor, batchSize: 4 });
      await waitUntil(async () => (await c.query(`SELECT 1 FROM sync_jobs WHERE status = 'RUNNING' AND done >= 4`)).rowCount === 1);
      await sleep(round * 60);
      const { rows } = await c.query<{ id: number }>(`SELECT id FROM sync_jobs`);
      const cancelled = await cancelSyncJob(instanceB, rows[0]!.id, canceller);
      expect(cancelled.status).toBe('CANCELLED');
      const ended = await running;
      await unslow();
      unslow = null;
      expect(ended.status).toBe('CANCELLED');
      expect(ended.done % 4).toBe(0);
      expect(ended.done).toBeLessThan(32);
      const items = await itemsOf(c, ended.id);
      expect(items.map((i) => keyOf(i.user_id, i.spec))).toEqual(pairs.slice(0, ended.done).map((p) => keyOf(p.userId, p.spec)));
      const now = await imagesOf(c, pairs, { exact: true });
      for (const [n, p] of pairs.entries()) {
        const img = now.get(keyOf(p.userId, p.spec))!;
        if (n < ended.done) {
          const after = items[n]!.after!;
          expect([img.progress!.current_level, img.license!.current_level]).toEqual([after.progressLevel, after.licenseLevel]);
        } else expect(img, `round ${round}, pair #${n}`).toEqual(before.get(keyOf(p.userId, p.spec)));
      }
      await expectSetMatchesOracle(c);
    }
  });

  it('of a running undo job: the batch in flight rolls back, no pair half-restored; the cancelled undo can be undone', async () => {
    const pairs = await desyncs(6);
    const before = await imagesOf(c, pairs);
    const job = await runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor });
    const afterJob = await imagesOf(c, pairs);
    const exactAfterJob = await imagesOf(c, pairs, { exact: true });
    const gate = await installGate(c, [pairs[2]!.userId]);
    await gate.close();
    const undoing = runUndoJob(instanceA, { jobId: job.id, actor: testActor, reason: 'test', batchSize: 2 });
    await waitUntil(async () => (await gate.waiting()) > 0);
    const u = (await getRunningJob(instanceB))!;
    expect(u).toMatchObject({ trigger: 'UNDO', undoesJobId: job.id, done: 2 });
    await cancelWithoutWaiting(u.id, gate.open);
    await gate.open();
    expect(await undoing).toMatchObject({ status: 'CANCELLED', done: 2, synced: 2 });
    const [now, exactNow] = [await imagesOf(c, pairs), await imagesOf(c, pairs, { exact: true })];
    for (const [n, p] of pairs.entries()) {
      const k = keyOf(p.userId, p.spec);
      if (n < 2) expect(now.get(k)).toEqual(before.get(k));
      else expect(exactNow.get(k)).toEqual(exactAfterJob.get(k));
    }
    // A cancelled undo does not count as an undo of the job; undoing it puts the job's images back.
    const redo = await runUndoJob(instanceB, { jobId: u.id, actor: testActor, reason: 'redo' });
    expect(redo).toMatchObject({ status: 'SUCCEEDED', synced: 2, conflicts: 0 });
    expect(await imagesOf(c, pairs)).toEqual(afterJob);
  });

  it('after a cancelled undo, undoing the job again finishes it: the pairs already put back are not conflicts', async () => {
    const pairs = await desyncs(4);
    const before = await imagesOf(c, pairs);
    const job = await runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor });
    const gate = await installGate(c, [pairs[2]!.userId]);
    await gate.close();
    const undoing = runUndoJob(instanceA, { jobId: job.id, actor: testActor, reason: 'test', batchSize: 2 });
    await waitUntil(async () => (await gate.waiting()) > 0);
    await cancelWithoutWaiting((await getRunningJob(instanceB))!.id, gate.open);
    await gate.open();
    expect(await undoing).toMatchObject({ status: 'CANCELLED', synced: 2 });
    const again = await runUndoJob(instanceB, { jobId: job.id, actor: testActor, reason: 'finish the undo' });
    expect(await imagesOf(c, pairs)).toEqual(before);
    // Expected: the two pairs the cancelled undo put back are "already as the undone job found it" (SKIPPED).
    expect(again).toMatchObject({ status: 'SUCCEEDED', synced: 2, conflicts: 0 });
  });
});

describe('what cannot be cancelled', () => {
  it('an ended job is CONFLICT ("already ended"), an unknown one NOT_FOUND, a bad id VALIDATION; nothing is written', async () => {
    await desyncs(2);
    const done = await runSyncJob(instanceA, { trigger: 'MANUAL', actor: testActor });
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO sync_jobs (trigger, actor, status, cancelled_by, finished_at)
       VALUES ('MANUAL', 'x', 'CANCELLED', 'someone', now()), ('SCHEDULED', 'y', 'ABANDONED', NULL, now()) RETURNING id`,
    );
    const jobsBefore = (await c.query(`SELECT * FROM sync_jobs ORDER BY id`)).rows;
    const audits = await countRows(c, 'audit_events');
    await expect(cancelSyncJob(instanceB, done.id, canceller)).rejects.toThrow(
      /already ended \(SUCCEEDED at .*\): there is nothing to cancel/,
    );
    for (const { id } of rows) expect(await codeOf(cancelSyncJob(instanceB, id, canceller))).toBe('CONFLICT');
    expect(await codeOf(cancelSyncJob(instanceB, 999_999, canceller))).toBe('NOT_FOUND');
    for (const id of [0, -1, NaN, Infinity, 2 ** 31, 1.5, '1', null, undefined, {}, [1], 10n]) {
      expect(await codeOf(cancelSyncJob(instanceB, id as number, canceller)), String(id)).toBe('VALIDATION');
    }
    expect((await c.query(`SELECT * FROM sync_jobs ORDER BY id`)).rows).toEqual(jobsBefore);
    expect(await countRows(c, 'audit_events')).toBe(audits);
  });
});

describe('the database refuses what the new constraints forbid', () => {
  it('links, cancel marks, conflict counts, scopes and item versions that break the invariants', async () => {
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO sync_jobs (trigger, actor, status, finished_at) VALUES ('MANUAL', 'x', 'SUCCEEDED', now()) RETURNING id`,
    );
    const id = rows[0]!.id;
    const refused = async (sql: string, params: unknown[] = []) => {
      const e = await expectRefused(c, sql, params);
      return `${e.code} ${e.constraint}`;
    };
    const ins = (cols: string, vals: string) => refused(`INSERT INTO sync_jobs (trigger, actor, ${cols}) VALUES ('MANUAL', 'x', ${vals})`);
    expect(await ins('undoes_job_id, status, finished_at', `${id}, 'SUCCEEDED', now()`)).toBe('23514 sync_jobs_only_undo_links');
    expect(await refused(`UPDATE sync_jobs SET undoes_job_id = id, trigger = 'UNDO' WHERE id = $1`, [id])).toBe(
      '23514 sync_jobs_undo_not_itself',
    );
    expect(await ins('status, cancelled_by, finished_at', `'SUCCEEDED', 'someone', now()`)).toBe(
      '23514 sync_jobs_cancelled_by_iff_cancelled',
    );
    expect(await ins('status, finished_at', `'CANCELLED', now()`)).toBe('23514 sync_jobs_cancelled_by_iff_cancelled');
    expect(await refused(`UPDATE sync_jobs SET status = 'CANCELLED' WHERE id = $1`, [id])).toBe(
      '23514 sync_jobs_cancelled_by_iff_cancelled',
    );
    expect(await refused(`UPDATE sync_jobs SET conflicts = -1 WHERE id = $1`, [id])).toBe('23514 sync_jobs_conflicts_nonnegative');
    for (const scope of ['[]', '"PLAYER"', '42', 'null', 'true']) {
      expect(await refused(`UPDATE sync_jobs SET scope = $2::jsonb WHERE id = $1`, [id, scope])).toBe('23514 sync_jobs_scope_is_object');
    }
    const item = (pv: number | null, lv: number | null) =>
      refused(
        `INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, outcome, progress_version, license_version)
         VALUES ($1, 1, 'PLAYER', 'LEVEL_MISMATCH', '{}', 'SYNCED', $2, $3)`,
        [id, pv, lv],
      );
    expect(await item(0, 1)).toBe('23514 sync_job_items_versions_positive');
    expect(await item(1, -3)).toBe('23514 sync_job_items_versions_positive');
    // What they allow: an UNDO job linked to another, a CANCELLED job naming who cancelled it, an object scope.
    await c.query(
      `INSERT INTO sync_jobs (trigger, actor, status, cancelled_by, undoes_job_id, scope, finished_at)
       VALUES ('UNDO', 'x', 'CANCELLED', 'someone', $1, '{"kind": "LEVEL_MISMATCH"}', now())`,
      [id],
    );
  });
});
