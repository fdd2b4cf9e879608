import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  advanceLicense,
  listDesyncs,
  listSyncJobItems,
  previewSync,
  recordProgress,
  runFullAudit,
  runSyncJob,
  syncPair,
} from '../../lib/sync';
import { getLevelTables } from '../../lib/sync/levels';
import { decide, type LoadedPair } from '../../lib/sync/repair';
import { applyDecisions } from '../../lib/sync/repair-sql';
import { db, rawClient } from '../support/db';
import { createPair, readPairRaw, testActor } from '../support/factories';

/**
 * A desync is any pair that breaks the rules; a job records what it wrote; the desync list never
 * shows a pair a write has just made consistent.
 */

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, health_checks, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
});

const listed = async () => (await listDesyncs(db, { limit: 500 })).items.map((d) => `${d.userId}:${d.specializationId}:${d.kind}`);

/** Writes with the foreign keys and triggers off, as a restore or a legacy tool bypassing them would. */
async function bypassing(sql: string, params: unknown[] = []) {
  await c.query(`SET session_replication_role = replica`);
  try {
    await c.query(sql, params);
  } finally {
    await c.query(`SET session_replication_role = origin`);
  }
}

describe('pairs that break the level rules are desyncs', () => {
  it('progress below its level minimum (a raw UPDATE) is INVALID_PROGRESS; the job brings both rows to the earned level', async () => {
    const { userId } = await createPair(c, { progressLevel: 3 });
    await c.query(`UPDATE specialization_progress SET total_xp = 0 WHERE user_id = $1`, [userId]);
    const check = await runFullAudit(db);
    expect(check.byKind.INVALID_PROGRESS).toBe(1);
    expect(check.consistentPairs).toBe(0);
    const preview = await previewSync(db);
    expect(preview.items).toMatchObject([{ userId, kind: 'INVALID_PROGRESS', after: { progressLevel: 1, licenseLevel: 1 } }]);
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    expect(job).toMatchObject({ status: 'SUCCEEDED', synced: 1 });
    expect(await readPairRaw(c, userId, 'PLAYER')).toMatchObject({ progress: { current_level: 1 }, license: { current_level: 1 } });
    expect((await runFullAudit(db)).consistentPairs).toBe(1);
  });

  it('progress that earns a higher level than it holds is INVALID_PROGRESS, repaired up to that level', async () => {
    const { userId } = await createPair(c, { progressLevel: 2 });
    await c.query(`UPDATE specialization_progress SET total_xp = 100000, completed_sessions = 50 WHERE user_id = $1`, [userId]);
    expect((await runFullAudit(db)).byKind.INVALID_PROGRESS).toBe(1);
    await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    expect(await readPairRaw(c, userId, 'PLAYER')).toMatchObject({ progress: { current_level: 4 }, license: { current_level: 4 } });
  });

  it('a raised threshold makes the pairs below it INVALID_PROGRESS', async () => {
    const { userId } = await createPair(c, { progressLevel: 2, spec: 'COACH' });
    await c.query(`UPDATE level_requirements SET xp_required = xp_required + 1 WHERE specialization_id = 'COACH' AND level = 2`);
    try {
      expect(await runFullAudit(db).then((h) => h.byKind.INVALID_PROGRESS)).toBe(1);
      expect(await listed()).toEqual([`${userId}:COACH:INVALID_PROGRESS`]);
    } finally {
      await c.query(`UPDATE level_requirements SET xp_required = xp_required - 1 WHERE specialization_id = 'COACH' AND level = 2`);
    }
  });

  it('a license that starts in the future is LICENSE_IN_FUTURE; the job moves its start to now', async () => {
    const { userId } = await createPair(c, { progressLevel: 2 });
    await bypassing(`UPDATE user_licenses SET started_at = now() + interval '3 days' WHERE user_id = $1`, [userId]);
    expect((await runFullAudit(db)).byKind.LICENSE_IN_FUTURE).toBe(1);
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    expect(job.synced).toBe(1);
    const { rows } = await c.query(`SELECT started_at <= now() AS ok FROM user_licenses WHERE user_id = $1`, [userId]);
    expect(rows[0].ok).toBe(true);
  });

  it('a level that is not in the level table: invalid progress is repaired, a license-only pair is reported, never SYNCED', async () => {
    const a = await createPair(c, { progressLevel: 2 });
    const b = await createPair(c, { progressLevel: null, licenseLevel: 2 });
    await bypassing(`UPDATE specialization_progress SET current_level = 9 WHERE user_id = $1`, [a.userId]);
    await bypassing(`UPDATE user_licenses SET current_level = 9 WHERE user_id = $1`, [b.userId]);
    const check = await runFullAudit(db);
    expect(check.byKind).toMatchObject({ INVALID_PROGRESS: 1, MISSING_PROGRESS: 1 });
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor });
    const { items } = await listSyncJobItems(db, job.id);
    const byUser = new Map(items.map((i) => [i.userId, i]));
    expect(byUser.get(a.userId)).toMatchObject({
      kind: 'INVALID_PROGRESS',
      outcome: 'SYNCED',
      after: { progressLevel: 2, licenseLevel: 2 },
    });
    // Creating progress at a level that has no requirement row writes nothing: reported, with the reason.
    expect(byUser.get(b.userId)).toMatchObject({
      kind: 'MISSING_PROGRESS',
      outcome: 'REPORTED',
      error: expect.stringMatching(/Level 9 does not exist/),
    });
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'SYNC_JOB_REPAIR' AND user_id = $1`, [
      b.userId,
    ]);
    expect(rows[0].n).toBe(0);
    expect(await listed()).toEqual([`${b.userId}:PLAYER:MISSING_PROGRESS`]);
  });
});

describe('a job records what it did, not what it meant to do', () => {
  it('a repair that wrote no row is FAILED with the reason, never SYNCED, and writes no audit event', async () => {
    const { userId } = await createPair(c, { progressLevel: null, licenseLevel: 2 });
    const [job] = await c
      .query<{ id: number }>(`INSERT INTO sync_jobs (trigger, actor) VALUES ('MANUAL', 'tester') RETURNING id`)
      .then((r) => r.rows);
    // A decision to create progress at a level without a requirement row: nothing can be inserted.
    const applied = await db.$transaction((tx) =>
      applyDecisions(
        tx,
        [
          {
            userId,
            specializationId: 'PLAYER',
            email: null,
            kind: 'MISSING_PROGRESS',
            action: 'CREATE_PROGRESS',
            targetLevel: 42,
            reason: null,
            before: { progressLevel: null, licenseLevel: 2, totalXp: null, completedSessions: null },
            after: { progressLevel: 42, licenseLevel: 2, totalXp: 0, completedSessions: 0 },
          },
        ],
        { jobId: job!.id, actor: testActor, auditAction: 'SYNC_JOB_REPAIR' },
      ),
    );
    expect(applied).toMatchObject([{ userId, outcome: 'FAILED', error: expect.stringMatching(/wrote no row/) }]);
    const { rows } = await c.query(
      `SELECT outcome, after, (SELECT synced FROM sync_jobs WHERE id = $1) AS synced,
                                           (SELECT failed FROM sync_jobs WHERE id = $1) AS failed
                                    FROM sync_job_items WHERE job_id = $1`,
      [job!.id],
    );
    expect(rows).toEqual([{ outcome: 'FAILED', after: null, synced: 0, failed: 1 }]);
    expect((await c.query(`SELECT count(*)::int AS n FROM audit_events`)).rows[0].n).toBe(0);
  });

  it('a pair found consistent when locked is SKIPPED under the kind that was planned', async () => {
    const consistent: LoadedPair = {
      userId: 1,
      specializationId: 'PLAYER',
      email: null,
      progressLevel: 2,
      totalXp: 25_000,
      completedSessions: 12,
      licenseLevel: 2,
      licenseStartedInFuture: false,
      licenseStartedAt: new Date('2026-01-01T00:00:00Z'),
      licenseLastAdvancedAt: null,
      progressVersion: 1,
      licenseVersion: 1,
      userExists: true,
      specializationExists: true,
    };
    expect(decide(consistent, await getLevelTables(db), 'MISSING_LICENSE')).toMatchObject({ action: 'NONE', kind: 'MISSING_LICENSE' });
  });
});

describe('the desync list never shows a repaired pair as out of sync', () => {
  it('a coupled write that leaves a listed pair consistent removes it from the list', async () => {
    const a = await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    const b = await createPair(c, { progressLevel: 1, licenseLevel: null });
    await runFullAudit(db);
    expect((await listed()).sort()).toEqual([`${a.userId}:PLAYER:LEVEL_MISMATCH`, `${b.userId}:PLAYER:MISSING_LICENSE`].sort());
    await recordProgress(db, a.userId, 'PLAYER', { xpGained: 10, sessionsCompleted: 0 }, testActor);
    await advanceLicense(db, b.userId, 'PLAYER', 2, testActor, 'passed');
    expect(await listed()).toEqual([]);
  });

  it('a health check whose pass read a pair before a repair committed does not re-insert it', async () => {
    const { userId } = await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    // Hold the check between its pass and its writes: it waits to insert its snapshot.
    const blocker = await rawClient();
    await blocker.query(`BEGIN; LOCK TABLE health_checks IN SHARE MODE`);
    const check = runFullAudit(db);
    for (let i = 0; i < 100; i++) {
      const { rows } = await c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%health_checks%'`,
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The pass has read the pair out of sync; now it is repaired and committed.
    expect(await syncPair(db, userId, 'PLAYER', testActor)).toMatchObject({ outcome: 'SYNCED' });
    await blocker.query(`COMMIT`);
    await blocker.end();
    const result = await check;
    expect(result.byKind.LEVEL_MISMATCH).toBe(1); // the figures are the pass's, as of its snapshot
    expect(await listed()).toEqual([]); // but the list does not show the repaired pair
  });
});

describe('foreign-key refusals are told by constraint', () => {
  it('names the learner, the level or the specialization, whichever row is missing', async () => {
    const { missingReferent } = await import('../../lib/sync/coupled-writes');
    // The constraint names PostgreSQL reports, as the migrations create them.
    const { rows } = await c.query<{ conname: string }>(
      `SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'specialization_progress'::regclass ORDER BY conname`,
    );
    const names = rows.map((r) => r.conname);
    const byUser = names.find((n) => n.endsWith('_user_id_fkey'))!;
    const byLevel = names.find((n) => n.endsWith('_current_level_fkey'))!;
    expect(missingReferent(byUser, 7, 'PLAYER', 3)).toBe('Learner 7 does not exist.');
    expect(missingReferent(byLevel, 7, 'PLAYER', 3)).toBe('Level 3 does not exist for PLAYER.');
    expect(missingReferent('level_requirements_specialization_id_fkey', 7, 'COACH')).toBe('Specialization COACH does not exist.');
  });
});
