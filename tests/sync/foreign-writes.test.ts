import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceLicense, demoteLicense, enroll, recordProgress, runSyncJob, setForeignWrites, type Actor } from '../../lib/sync';
import type { ForeignWrites } from '../../lib/vocabulary';
import { db, expectRefused, rawClient, testDatabaseUrl } from '../support/db';
import { createLearner, createPair, readPairRaw } from '../support/factories';
import { entryOf, eventsOf, expectSetMatchesOracle, lastEventId } from './detection-oracle';

/**
 * FOREIGN_WRITES, mode by mode, against raw SQL writers (one statement, two statements in one
 * transaction, two transactions): OBSERVE detects and attributes; HEAL completes a foreign progress
 * write in its own transaction and nothing else; ENFORCE refuses at COMMIT a foreign transaction that
 * breaks a pair, unless it opts out (recorded). SyncWatch's own writers are never healed or refused.
 */
const admin: Actor = { label: 'admin@test.local', userId: null, source: 'ADMIN' };
const APP = 'legacy-billing';

let c: pg.Client;
let legacy: pg.Client;
beforeAll(async () => {
  c = await rawClient();
  legacy = new pg.Client({ connectionString: testDatabaseUrl, application_name: APP });
  await legacy.connect();
});
afterEach(async () => {
  await legacy.query('ROLLBACK').catch(() => {}); // a refused test leaves no transaction open
  await setForeignWrites(db, 'OBSERVE');
});
afterAll(async () => {
  await Promise.all([c.end(), legacy.end()]);
});

const setLicense = (userId: number, level: number) => `UPDATE user_licenses SET current_level = ${level} WHERE user_id = ${userId}`;
/** Moves progress to `level` with XP and sessions at that level's minimum (valid progress). */
const setProgress = (userId: number, level: number, spec = 'PLAYER') =>
  `UPDATE specialization_progress p SET current_level = r.level, total_xp = r.xp_required, completed_sessions = r.sessions_required
   FROM level_requirements r WHERE r.specialization_id = p.specialization_id AND r.level = ${level}
     AND p.user_id = ${userId} AND p.specialization_id = '${spec}'`;

async function levels(userId: number) {
  const { progress, license } = await readPairRaw(c, userId, 'PLAYER');
  return [progress?.current_level ?? null, license?.current_level ?? null];
}

async function auditEvents(action: string, userId: number) {
  const { rows } = await c.query(
    `SELECT actor, source::text AS source, before, after, reason FROM audit_events WHERE action = $1 AND user_id = $2 ORDER BY id`,
    [action, userId],
  );
  return rows;
}

async function inTransaction(k: pg.Client, statements: string[]) {
  await k.query('BEGIN');
  for (const sql of statements) await k.query(sql);
  await k.query('COMMIT');
}

describe('FOREIGN_WRITES=observe', () => {
  it('detects and attributes every shape of foreign write, refusing and healing nothing', async () => {
    const single = await createPair(c, { progressLevel: 1 });
    const twoInOne = await createPair(c, { progressLevel: 1 });
    const fresh = await createLearner(c);
    const twoTx = await createPair(c, { progressLevel: 1 });
    await legacy.query(setLicense(single.userId, 2));
    await inTransaction(legacy, [
      setProgress(twoInOne.userId, 2),
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES (${fresh}, 'PLAYER', 1, 0, 0)`,
    ]);
    await legacy.query(setProgress(twoTx.userId, 3));
    expect(await entryOf(c, twoTx.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', caused_by: `sql:${APP}` });
    await legacy.query(setLicense(twoTx.userId, 3));
    expect(await entryOf(c, single.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', pl: 1, ll: 2, caused_by: `sql:${APP}` });
    expect(await entryOf(c, twoInOne.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', pl: 2, ll: 1, caused_by: `sql:${APP}` });
    expect(await entryOf(c, fresh)).toMatchObject({ kind: 'MISSING_LICENSE', caused_by: `sql:${APP}` });
    expect(await entryOf(c, twoTx.userId)).toBeUndefined();
    const [a, b] = (await eventsOf(c, [twoInOne.userId, fresh])).filter((e) => e.writer === `sql:${APP}`);
    expect(a!.txid).toBe(b!.txid);
    expect((await eventsOf(c, [twoTx.userId])).slice(-2).map((e) => e.effect)).toEqual(['BROKE', 'FIXED']);
    expect(await levels(single.userId)).toEqual([1, 2]);
    expect(await levels(twoInOne.userId)).toEqual([2, 1]);
    const heals = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action IN ('FOREIGN_WRITE_HEALED', 'DESYNC_ALLOWED')`);
    expect(heals.rows[0].n).toBe(0);
    await expectSetMatchesOracle(c);
  });
});

describe('FOREIGN_WRITES=heal', () => {
  it('a progress level written alone moves the license in the same transaction (one statement, two, two transactions)', async () => {
    const single = await createPair(c, { progressLevel: 1 }); // raw SQL, one side at a time: before HEAL
    const twoInOne = await createPair(c, { progressLevel: 1 });
    const twoTx = await createPair(c, { progressLevel: 1 });
    await setForeignWrites(db, 'HEAL');
    const mark = await lastEventId(c);
    await legacy.query(setProgress(single.userId, 2));
    await inTransaction(legacy, [setProgress(twoInOne.userId, 2), setProgress(twoInOne.userId, 3)]);
    await legacy.query(setProgress(twoTx.userId, 2));
    await legacy.query(setProgress(twoTx.userId, 4));
    expect(await levels(single.userId)).toEqual([2, 2]);
    expect(await levels(twoInOne.userId)).toEqual([3, 3]);
    expect(await levels(twoTx.userId)).toEqual([4, 4]);
    const sameTx = await c.query(
      `SELECT p.xmin::text = l.xmin::text AS same FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id)
       WHERE user_id = ANY($1) ORDER BY user_id`,
      [[single.userId, twoInOne.userId, twoTx.userId]],
    );
    expect(sameTx.rows.map((r) => r.same)).toEqual([true, true, true]);
    const healed = { actor: `sql:${APP}`, source: 'DATABASE', reason: expect.stringContaining(`sql:${APP}`) };
    expect(await auditEvents('FOREIGN_WRITE_HEALED', single.userId)).toEqual([
      { ...healed, before: { progressLevel: 2, licenseLevel: 1 }, after: { progressLevel: 2, licenseLevel: 2 } },
    ]);
    expect(await auditEvents('FOREIGN_WRITE_HEALED', twoInOne.userId)).toMatchObject([{ ...healed, after: { licenseLevel: 3 } }]);
    expect(await auditEvents('FOREIGN_WRITE_HEALED', twoTx.userId)).toMatchObject([
      { ...healed, after: { licenseLevel: 2 } },
      { ...healed, after: { licenseLevel: 4 } },
    ]);
    // Never out of sync, so nothing was broken or fixed: the writes are recorded as WRITE, both sides.
    const events = await eventsOf(c, [single.userId, twoInOne.userId, twoTx.userId], mark);
    expect(events.map((e) => `${e.effect}/${e.side}/${e.writer}`)).toEqual(Array(4).fill(`WRITE/both/sql:${APP}`));
    await expectSetMatchesOracle(c);
  });

  it('a progress row inserted without a license gets one', async () => {
    await setForeignWrites(db, 'HEAL');
    const u = await createLearner(c);
    await legacy.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES ($1, 'PLAYER', 2, 25000, 12)`,
      [u],
    );
    expect(await levels(u)).toEqual([2, 2]);
    expect(await auditEvents('FOREIGN_WRITE_HEALED', u)).toMatchObject([{ before: { progressLevel: 2, licenseLevel: null } }]);
    expect(await entryOf(c, u)).toBeUndefined();
  });

  it('leaves a license written alone, and progress that breaks the rules, detected and unreverted', async () => {
    const licenseAlone = await createPair(c, { progressLevel: 1 });
    const invalid = await createPair(c, { progressLevel: 1 });
    const own = await createPair(c, { progressLevel: 1 });
    await setForeignWrites(db, 'HEAL');
    await legacy.query(setLicense(licenseAlone.userId, 2));
    await legacy.query(`UPDATE specialization_progress SET current_level = 3 WHERE user_id = $1`, [invalid.userId]); // 0 XP at level 3
    // A SyncWatch writer (named by sw_set_writer) is never healed, even writing one side.
    await inTransaction(legacy, [`SELECT sw_set_writer('APP', 'own-path')`, setProgress(own.userId, 2)]);
    expect(await levels(licenseAlone.userId)).toEqual([1, 2]);
    expect(await levels(invalid.userId)).toEqual([3, 1]);
    expect(await levels(own.userId)).toEqual([2, 1]);
    expect(await entryOf(c, licenseAlone.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', caused_by: `sql:${APP}` });
    expect(await entryOf(c, invalid.userId)).toMatchObject({ kind: 'INVALID_PROGRESS', caused_by: `sql:${APP}` });
    expect(await entryOf(c, own.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', caused_by: 'own-path' });
    for (const p of [licenseAlone, invalid, own]) expect(await auditEvents('FOREIGN_WRITE_HEALED', p.userId)).toEqual([]);
    await expectSetMatchesOracle(c);
    await runSyncJob(db, { trigger: 'MANUAL', actor: admin });
    expect(await expectSetMatchesOracle(c)).toEqual([]);
  });
});

describe('FOREIGN_WRITES=enforce', () => {
  it('refuses at COMMIT a transaction that breaks a pair, naming it; nothing of it remains', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 }); // written by raw SQL one side at a time: before ENFORCE
    await setForeignWrites(db, 'ENFORCE');
    const mark = await lastEventId(c);
    const single = await expectRefused(legacy, setLicense(userId, 2));
    expect(single.code).toBe('SWD01');
    expect(single.message).toContain(`learner ${userId} / PLAYER out of sync (LEVEL_MISMATCH: progress level 1, license level 2)`);
    // Two statements: the first is accepted, the refusal comes at COMMIT and takes the other write with it.
    await legacy.query('BEGIN');
    await legacy.query(setProgress(userId, 2));
    await legacy.query(`INSERT INTO users (email, name) VALUES ('enforced@test.local', 'Enforced')`);
    const atCommit = await expectRefused(legacy, 'COMMIT');
    expect(atCommit).toMatchObject({ code: 'SWD01', message: expect.stringContaining(`learner ${userId} / PLAYER`) });
    // Two transactions, one side each: the first is refused already.
    expect((await expectRefused(legacy, setProgress(userId, 2))).code).toBe('SWD01');
    expect(await levels(userId)).toEqual([1, 1]);
    expect((await c.query(`SELECT count(*)::int AS n FROM users WHERE email = 'enforced@test.local'`)).rows[0].n).toBe(0);
    expect(await eventsOf(c, [userId], mark)).toEqual([]);
    expect(await entryOf(c, userId)).toBeUndefined();
    await expectSetMatchesOracle(c);
  });

  it('lets a coupled transaction through, and a desync opted out of with allow_desync (recorded)', async () => {
    const coupled = await createPair(c, { progressLevel: 1 });
    const allowed = await createPair(c, { progressLevel: 1 });
    await setForeignWrites(db, 'ENFORCE');
    await inTransaction(legacy, [setProgress(coupled.userId, 2), setLicense(coupled.userId, 2)]);
    expect(await levels(coupled.userId)).toEqual([2, 2]);
    await inTransaction(legacy, [`SET LOCAL syncwatch.allow_desync = on`, setLicense(allowed.userId, 3)]);
    expect(await levels(allowed.userId)).toEqual([1, 3]);
    expect(await entryOf(c, allowed.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', caused_by: `sql:${APP}` });
    expect(await auditEvents('DESYNC_ALLOWED', allowed.userId)).toEqual([
      {
        actor: `sql:${APP}`,
        source: 'DATABASE',
        before: null,
        after: { userId: allowed.userId, specializationId: 'PLAYER', kind: 'LEVEL_MISMATCH', progressLevel: 1, licenseLevel: 3 },
        reason: expect.stringContaining('allow_desync'),
      },
    ]);
    // Changing the kind of that desync is refused too; mending it is not.
    expect((await expectRefused(legacy, `DELETE FROM user_licenses WHERE user_id = ${allowed.userId}`)).message).toContain(
      'MISSING_LICENSE',
    );
    await legacy.query(setLicense(allowed.userId, 1));
    expect(await entryOf(c, allowed.userId)).toBeUndefined();
    await expectSetMatchesOracle(c);
  });

  it("never refuses SyncWatch's own paths, even one that breaks a pair or changes a desync's kind", async () => {
    const broken = await createPair(c, { progressLevel: 1 });
    const future = await createPair(c, { progressLevel: 2, licenseLevel: null });
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       VALUES ($1, 'PLAYER', 1, clock_timestamp() + interval '4 minutes')`,
      [future.userId],
    );
    await setForeignWrites(db, 'ENFORCE');
    await recordProgress(db, future.userId, 'PLAYER', { xpGained: 1, sessionsCompleted: 0 }, admin); // LEVEL_MISMATCH -> LICENSE_IN_FUTURE
    expect(await entryOf(c, future.userId)).toMatchObject({ kind: 'LICENSE_IN_FUTURE', caused_by: admin.label });
    await inTransaction(legacy, [`SELECT sw_set_writer('CLI', 'cli')`, setLicense(broken.userId, 2)]);
    expect(await entryOf(c, broken.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', pl: 1, ll: 2, caused_by: 'cli' });
    const job = await runSyncJob(db, { trigger: 'MANUAL', actor: { label: 'scheduler', source: 'SYNC_JOB' } });
    expect(job.status).toBe('SUCCEEDED');
    expect(await expectSetMatchesOracle(c)).toEqual([]);
  });
});

describe('in every mode', () => {
  it.each(['OBSERVE', 'HEAL', 'ENFORCE'] as ForeignWrites[])(
    "%s: SyncWatch's own coupled writes leave no desync and are not refused",
    async (mode) => {
      await setForeignWrites(db, mode);
      const u = await createLearner(c);
      const mark = await lastEventId(c);
      await enroll(db, u, 'PLAYER', admin);
      await recordProgress(db, u, 'PLAYER', { xpGained: 60_000, sessionsCompleted: 30 }, admin);
      await advanceLicense(db, u, 'PLAYER', 5, admin, 'promotion');
      await demoteLicense(db, u, 'PLAYER', 2, admin, 'correction');
      await recordProgress(db, u, 'COACH', { xpGained: 20_000, sessionsCompleted: 10 }, { label: 'partner', source: 'API' });
      expect(await levels(u)).toEqual([2, 2]);
      expect(await eventsOf(c, [u], mark)).toEqual([]);
      const special = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1 AND source = 'DATABASE'`, [u]);
      expect(special.rows[0].n).toBe(0);
      expect((await expectSetMatchesOracle(c)).filter((e) => e.user_id === u)).toEqual([]);
    },
  );
});
