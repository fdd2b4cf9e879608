import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceLicense,
  createLearner,
  demoteLicense,
  enroll,
  getLearner,
  listLearnerHistory,
  listLearners,
  recordProgress,
  syncPair,
} from '../../lib/sync';
import { db, rawClient, testDatabaseUrl } from '../support/db';
import { createLearner as createLearnerRow, readPairRaw, testActor } from '../support/factories';

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

describe('learners and enrolment', () => {
  it('creates a learner, refuses a second one with the same email, and enrolls at level 1 once', async () => {
    const learner = await createLearner(db, { email: ' Ada.Lovelace@Academy.test ', name: 'Ada Lovelace' }, testActor);
    expect(learner.email).toBe('ada.lovelace@academy.test');
    await expect(createLearner(db, { email: 'ada.lovelace@academy.test', name: 'Again' }, testActor)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const pair = await enroll(db, learner.id, 'COACH', testActor);
    expect(pair).toMatchObject({ progress: { level: 1, totalXp: 0, completedSessions: 0 }, license: { level: 1 } });
    await expect(enroll(db, learner.id, 'COACH', testActor)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(enroll(db, 999_999, 'COACH', testActor)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const read = await getLearner(db, learner.id);
    expect(read?.pairs).toMatchObject([{ specializationId: 'COACH', kind: null, nextLevel: { level: 2 } }]);
  });

  it('lists learners by name with their pairs, searching name or email', async () => {
    const id = await createLearnerRow(c, 'Zelda Searchable');
    await recordProgress(db, id, 'PLAYER', { xpGained: 30_000, sessionsCompleted: 12 }, testActor);
    const { items, total } = await listLearners(db, { search: 'zelda search' });
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({
      id,
      pairs: [{ specializationId: 'PLAYER', kind: null, progress: { level: 2 }, license: { level: 2 } }],
    });
    expect((await listLearners(db, { search: '100%_' })).total).toBe(0);
  });
});

describe('demotion', () => {
  it('sticks: the next recordProgress does not earn the old level back; the removed amounts are audited', async () => {
    const id = await createLearnerRow(c);
    await recordProgress(db, id, 'PLAYER', { xpGained: 100_000, sessionsCompleted: 45 }, testActor); // level 4
    const seen = await getLearner(db, id);
    expect(seen?.pairs[0]?.progress?.level).toBe(4);
    const demoted = await demoteLicense(db, id, 'PLAYER', 2, testActor, 'assessment failed', {
      expectedVersion: seen!.pairs[0]!.license!.version,
    });
    // Just below level 3's thresholds (55,000 XP, 26 sessions).
    expect(demoted.progress).toMatchObject({ level: 2, totalXp: 54_999, completedSessions: 25 });
    expect(demoted.license?.level).toBe(2);
    const after = await recordProgress(db, id, 'PLAYER', { xpGained: 500, sessionsCompleted: 0 }, testActor);
    expect(after.progress?.level).toBe(2);
    expect(after.license?.level).toBe(2);
    const { rows } = await c.query(`SELECT reason, after FROM audit_events WHERE action = 'DEMOTE_LICENSE' AND user_id = $1`, [id]);
    expect(rows).toMatchObject([{ reason: 'assessment failed', after: { xpRemoved: 45_001, sessionsRemoved: 20 } }]);
  });

  it('needs a reason, a lower level and the current version; writes nothing otherwise', async () => {
    const id = await createLearnerRow(c);
    await advanceLicense(db, id, 'PLAYER', 3, testActor, 'placement');
    const before = await readPairRaw(c, id, 'PLAYER');
    await expect(demoteLicense(db, id, 'PLAYER', 2, testActor, '  ')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(demoteLicense(db, id, 'PLAYER', 3, testActor, 'same')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(demoteLicense(db, id, 'PLAYER', 1, testActor, 'stale', { expectedVersion: 999 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await readPairRaw(c, id, 'PLAYER')).toEqual(before);
  });
});

describe("a learner's history", () => {
  it('lists what touched the learner, newest first, paged', async () => {
    const id = await createLearnerRow(c);
    await enroll(db, id, 'INTERNSHIP', testActor);
    await recordProgress(db, id, 'INTERNSHIP', { xpGained: 10, sessionsCompleted: 1 }, testActor);
    await advanceLicense(db, id, 'INTERNSHIP', 2, testActor, 'placement');
    const first = await listLearnerHistory(db, id, { limit: 2 });
    expect(first.total).toBe(3);
    expect(first.items.map((e) => e.action)).toEqual(['ADVANCE_LICENSE', 'RECORD_PROGRESS']);
    const second = await listLearnerHistory(db, id, { offset: 2, limit: 2 });
    expect(second.items.map((e) => e.action)).toEqual(['ENROLL']);
    expect(first.items[0]).toMatchObject({ actor: testActor.label, reason: 'placement', specializationId: 'INTERNSHIP' });
  });

  it('includes foreign writes with their writer, side and before/after, in time order with the audit events', async () => {
    const legacy = new pg.Client({ connectionString: testDatabaseUrl, application_name: 'legacy-x' });
    await legacy.connect();
    try {
      const id = await createLearnerRow(c);
      await enroll(db, id, 'COACH', testActor); // consistent: SyncWatch's write leaves no pair event
      await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [id]);
      await syncPair(db, id, 'COACH', testActor); // the fix is the SYNC_PAIR event; a FIXED by SyncWatch is not listed again
      await legacy.query(
        `UPDATE specialization_progress SET current_level = 2, total_xp = 20000, completed_sessions = 10 WHERE user_id = $1`,
        [id],
      );

      const { items, total } = await listLearnerHistory(db, id);
      expect(items.map((e) => e.action)).toEqual(['FOREIGN_WRITE', 'SYNC_PAIR', 'FOREIGN_WRITE', 'ENROLL']);
      expect(total).toBe(4);
      expect(items.map((e) => e.at.getTime())).toEqual(items.map((e) => e.at.getTime()).sort((a, b) => b - a));
      expect(items[2]).toMatchObject({
        id: expect.stringMatching(/^event:\d+$/),
        actor: 'sql:legacy-x',
        origin: 'SQL',
        source: 'DATABASE',
        specializationId: 'COACH',
        change: { effect: 'BROKE', kind: 'LEVEL_MISMATCH', side: 'license', applicationName: 'legacy-x' },
        before: { license: { level: 1, startedAt: expect.any(String) } },
        after: { license: { level: 2, startedAt: expect.any(String) } },
        reason: null,
        syncJobId: null,
      });
      expect(items[2]!.before).not.toHaveProperty('progress');
      // A foreign write is listed whatever it did: this one broke the pair again.
      expect(items[0]).toMatchObject({
        actor: 'sql:legacy-x',
        change: { effect: 'BROKE', kind: 'LEVEL_MISMATCH', side: 'progress' },
        before: { progress: { level: 1, totalXp: 0, completedSessions: 0 } },
        after: { progress: { level: 2, totalXp: 20000, completedSessions: 10 } },
      });
      expect(items[1]).toMatchObject({ origin: 'APP', source: 'APP', change: null });
      // The same paging contract: offset and limit over the merged list.
      expect((await listLearnerHistory(db, id, { offset: 1, limit: 2 })).items.map((e) => e.id)).toEqual([items[1]!.id, items[2]!.id]);
    } finally {
      await legacy.end();
    }
  });
});

describe('learner edges', () => {
  it('searches with a NUL byte as if it were not there, and never enrolls a staff account', async () => {
    const id = await createLearnerRow(c, 'Nul Searcher');
    expect((await listLearners(db, { search: 'Nul\u0000 Searcher' })).items.map((l) => l.id)).toEqual([id]);
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO users (email, name, role, password_hash) VALUES ('staff-enroll@test.local', 'Staff', 'VIEWER', 'x') RETURNING id`,
    );
    await expect(enroll(db, rows[0]!.id, 'PLAYER', testActor)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
