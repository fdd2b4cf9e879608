import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceLicense, demoteLicense, enroll, recordProgress, runSyncJob, type Actor } from '../../lib/sync';
import { db, rawClient, testDatabaseUrl } from '../support/db';
import { createLearner, createPair, createPairsInBulk } from '../support/factories';
import { entryOf, eventsOf, expectSetMatchesOracle, lastEventId } from './detection-oracle';

/**
 * Detection at commit, writer by writer: after every write the maintained set (current_desyncs) is
 * exactly what an independent SQL classification finds, its counters give the same figures, and the
 * entry and its pair_events row name the writer that caused it.
 */
const admin: Actor = { label: 'admin@test.local', userId: null, source: 'ADMIN' };
const api: Actor = { label: 'billing-key', userId: null, source: 'API' };
const scheduler: Actor = { label: 'scheduler', userId: null, source: 'SYNC_JOB' };

let c: pg.Client;
let legacy: pg.Client;
let dbUser: string;
let clientAddr: string | null;
const clients: pg.Client[] = [];

async function named(application_name: string) {
  const k = new pg.Client({ connectionString: testDatabaseUrl, application_name });
  await k.connect();
  clients.push(k);
  return k;
}

beforeAll(async () => {
  c = await rawClient();
  legacy = await named('legacy-billing');
  const who = await legacy.query<{ u: string; a: string | null }>(`SELECT session_user AS u, host(inet_client_addr()) AS a`);
  dbUser = who.rows[0]!.u;
  clientAddr = who.rows[0]!.a;
});
afterAll(async () => {
  await Promise.all([c, ...clients].map((k) => k.end()));
});

const sqlWriter = (app: string) => ({
  writer: `sql:${app}`,
  writer_kind: 'SQL',
  db_user: dbUser,
  application_name: app,
  client_addr: clientAddr,
});

describe("SyncWatch's own writers", () => {
  it('recordProgress, advanceLicense, demoteLicense and enroll never leave a desync nor write a pair event', async () => {
    const mark = await lastEventId(c);
    const u = await createLearner(c);
    await enroll(db, u, 'PLAYER', admin);
    await recordProgress(db, u, 'PLAYER', { xpGained: 60_000, sessionsCompleted: 30 }, admin);
    await advanceLicense(db, u, 'PLAYER', 5, admin, 'promotion');
    await demoteLicense(db, u, 'PLAYER', 2, admin, 'correction');
    await recordProgress(db, u, 'INTERNSHIP', { xpGained: 100, sessionsCompleted: 1 }, admin); // creates both rows
    await advanceLicense(db, u, 'INTERNSHIP', 3, api);
    expect(await expectSetMatchesOracle(c)).toEqual([]);
    expect(await eventsOf(c, [u], mark)).toEqual([]);
  });

  it('a sync job repairs raw breaks: the set empties, each pair has a FIXED event by the job actor', async () => {
    for (const actor of [scheduler, admin]) {
      const broken = [
        await createPair(c, { progressLevel: 3, licenseLevel: 2 }),
        await createPair(c, { progressLevel: 2, licenseLevel: null }),
        await createPair(c, { progressLevel: null, licenseLevel: 2 }),
        await createPair(c, { progressLevel: 1, xp: 30_000, sessions: 15 }), // earns level 2: INVALID_PROGRESS
      ];
      const ids = broken.map((p) => p.userId);
      const kinds = (await expectSetMatchesOracle(c)).filter((e) => ids.includes(e.user_id)).map((e) => e.kind);
      expect(kinds).toEqual(['LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS', 'INVALID_PROGRESS']);
      const mark = await lastEventId(c);
      const job = await runSyncJob(db, { trigger: 'MANUAL', actor });
      expect(job).toMatchObject({ status: 'SUCCEEDED', synced: 4 });
      expect(await expectSetMatchesOracle(c)).toEqual([]);
      const fixed = (await eventsOf(c, ids, mark)).sort((a, b) => a.user_id - b.user_id);
      expect(fixed.map((e) => [e.user_id, e.effect, e.writer, e.writer_kind])).toEqual(
        ids.map((id) => [id, 'FIXED', actor.label, actor.source]),
      );
    }
  });
});

describe('the write API', () => {
  it('is named api:<key> on the FIXED event of a pair it repairs', async () => {
    const { userId } = await createPair(c, { progressLevel: 3, licenseLevel: 2 });
    const mark = await lastEventId(c);
    await advanceLicense(db, userId, 'PLAYER', 3, api);
    expect(await entryOf(c, userId)).toBeUndefined();
    const [e, ...rest] = await eventsOf(c, [userId], mark);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ effect: 'FIXED', kind: null, side: 'license', writer: 'api:billing-key', writer_kind: 'API' });
    // The progress was written too, but at the same level: its write moves no verdict and is not noted.
    expect(e!.before).toEqual({ license: expect.objectContaining({ level: 2 }) });
    expect(e!.after).toEqual({ license: expect.objectContaining({ level: 3 }) });
    await expectSetMatchesOracle(c);
  });

  it('is named as the cause when its write changes the kind of a pre-existing desync', async () => {
    // LEVEL_MISMATCH on a license that starts in 4 minutes (allowed); matching the levels leaves LICENSE_IN_FUTURE.
    const { userId } = await createPair(c, { progressLevel: 2, licenseLevel: null });
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       VALUES ($1, 'PLAYER', 1, clock_timestamp() + interval '4 minutes')`,
      [userId],
    );
    expect(await entryOf(c, userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', caused_by: `sql:${dbUser}` });
    const mark = await lastEventId(c);
    await recordProgress(db, userId, 'PLAYER', { xpGained: 10, sessionsCompleted: 0 }, api);
    const [e, ...rest] = await eventsOf(c, [userId], mark);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ effect: 'CHANGED', kind: 'LICENSE_IN_FUTURE', writer: 'api:billing-key', writer_kind: 'API' });
    expect(await entryOf(c, userId)).toMatchObject({
      kind: 'LICENSE_IN_FUTURE',
      pl: 2,
      ll: 2,
      caused_by: 'api:billing-key',
      cause_event_id: e!.id,
    });
    await expectSetMatchesOracle(c);
    await c.query(`UPDATE user_licenses SET started_at = now() - interval '1 day' WHERE user_id = $1`, [userId]);
    expect(await entryOf(c, userId)).toBeUndefined();
  });
});

describe('raw SQL of another application', () => {
  it('a license UPDATE alone: LEVEL_MISMATCH caused by sql:<application_name>, with the write recorded', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const mark = await lastEventId(c);
    await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [userId]);
    const [e, ...rest] = await eventsOf(c, [userId], mark);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ effect: 'BROKE', kind: 'LEVEL_MISMATCH', side: 'license', ...sqlWriter('legacy-billing') });
    expect(e!.txid).not.toBeNull();
    const started = (e!.before as { license: { startedAt: string } }).license.startedAt;
    expect(e!.before).toEqual({ license: { level: 1, startedAt: started } });
    expect(e!.after).toEqual({ license: { level: 2, startedAt: started } });
    expect(await entryOf(c, userId)).toMatchObject({
      kind: 'LEVEL_MISMATCH',
      pl: 1,
      ll: 2,
      caused_by: 'sql:legacy-billing',
      cause_event_id: e!.id,
    });
    await expectSetMatchesOracle(c);
    // A client that names no application is named by its database user.
    await c.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1`, [userId]);
    expect(await eventsOf(c, [userId], e!.id)).toMatchObject([{ effect: 'FIXED', writer: `sql:${dbUser}`, application_name: null }]);
  });

  it('a progress INSERT without a license, a progress DELETE and a license DELETE', async () => {
    const a = await createLearner(c);
    const b = await createPair(c, { progressLevel: 2 });
    const d = await createPair(c, { progressLevel: 2 });
    const mark = await lastEventId(c);
    await legacy.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES ($1, 'PLAYER', 2, 25000, 12)`,
      [a],
    );
    await legacy.query(`DELETE FROM specialization_progress WHERE user_id = $1`, [b.userId]);
    await legacy.query(`DELETE FROM user_licenses WHERE user_id = $1`, [d.userId]);
    const events = await eventsOf(c, [a, b.userId, d.userId], mark);
    const progress2 = { level: 2, totalXp: 25_000, completedSessions: 12 };
    expect(events).toMatchObject([
      {
        user_id: a,
        effect: 'BROKE',
        kind: 'MISSING_LICENSE',
        side: 'progress',
        before: { progress: null },
        after: { progress: progress2 },
      },
      {
        user_id: b.userId,
        effect: 'BROKE',
        kind: 'MISSING_PROGRESS',
        side: 'progress',
        before: { progress: progress2 },
        after: { progress: null },
      },
      { user_id: d.userId, effect: 'BROKE', kind: 'MISSING_LICENSE', side: 'license', after: { license: null } },
    ]);
    for (const e of events) expect(e).toMatchObject(sqlWriter('legacy-billing'));
    expect(await entryOf(c, a)).toMatchObject({ kind: 'MISSING_LICENSE', pl: 2, ll: null, caused_by: 'sql:legacy-billing' });
    expect(await entryOf(c, b.userId)).toMatchObject({ kind: 'MISSING_PROGRESS', pl: null, ll: 2, caused_by: 'sql:legacy-billing' });
    expect(await entryOf(c, d.userId)).toMatchObject({ kind: 'MISSING_LICENSE', pl: 2, ll: null });
    await expectSetMatchesOracle(c);
  });

  it('an XP-only update inside its level band notes nothing and records nothing; one that earns a level does', async () => {
    const { userId } = await createPair(c, { progressLevel: 2 }); // 25,000 XP, 12 sessions; level 3 at 55,000 / 26
    const mark = await lastEventId(c);
    const pendingNow = async () =>
      (await legacy.query<{ n: number }>(`SELECT ((SELECT count(*) FROM sw_pending) + (SELECT count(*) FROM sw_pending_tx))::int AS n`))
        .rows[0]!.n;
    await legacy.query('BEGIN');
    await legacy.query(`UPDATE specialization_progress SET total_xp = 54999, completed_sessions = 40 WHERE user_id = $1`, [userId]);
    expect(await pendingNow()).toBe(0);
    await legacy.query('COMMIT');
    expect(await eventsOf(c, [userId], mark)).toEqual([]);
    await legacy.query('BEGIN');
    await legacy.query(`UPDATE specialization_progress SET total_xp = 55000 WHERE user_id = $1`, [userId]);
    expect(await pendingNow()).toBe(2); // the pair, and the transaction's judge
    await legacy.query('COMMIT');
    expect(await eventsOf(c, [userId], mark)).toMatchObject([{ effect: 'BROKE', kind: 'INVALID_PROGRESS', side: 'progress' }]);
    await expectSetMatchesOracle(c);
  });

  it('one UPDATE of 5,000 licenses: the set equals the oracle, one pair event per pair', async () => {
    const ids = await createPairsInBulk(c, 5_000, { progressLevel: 1, licenseLevel: 1 });
    const statements = [
      [`UPDATE user_licenses SET current_level = CASE WHEN user_id % 2 = 0 THEN 2 ELSE 3 END WHERE user_id = ANY($1)`, 'BROKE', 5_000],
      [`UPDATE user_licenses SET current_level = 1 WHERE user_id = ANY($1) AND user_id % 2 = 0`, 'FIXED', 2_500],
      [`UPDATE user_licenses SET started_at = started_at - interval '1 day' WHERE user_id = ANY($1)`, 'WRITE', 5_000],
    ] as const;
    for (const [sql, effect, n] of statements) {
      const mark = await lastEventId(c);
      await legacy.query(sql, [ids]);
      const events = await eventsOf(c, ids, mark);
      expect(events).toHaveLength(n);
      expect(new Set(events.map((e) => e.user_id)).size).toBe(n);
      expect(new Set(events.map((e) => e.txid)).size).toBe(1);
      expect(new Set(events.map((e) => `${e.effect}/${e.side}/${e.writer}`))).toEqual(new Set([`${effect}/license/sql:legacy-billing`]));
      const set = await expectSetMatchesOracle(c);
      expect(set.filter((e) => ids.includes(e.user_id) && e.kind === 'LEVEL_MISMATCH')).toHaveLength(effect === 'BROKE' ? 5_000 : 2_500);
    }
    await legacy.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = ANY($1)`, [ids]);
    await expectSetMatchesOracle(c);
  });

  it('a coupled write whose two statements are unequal in between: nothing in the set, no BROKE event', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const mark = await lastEventId(c);
    await legacy.query('BEGIN');
    await legacy.query(
      `UPDATE specialization_progress SET current_level = 2, total_xp = 25000, completed_sessions = 12 WHERE user_id = $1`,
      [userId],
    );
    expect(await entryOf(legacy, userId)).toBeUndefined(); // not judged between the statements
    await legacy.query(`SELECT pg_sleep(0.05)`);
    await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [userId]);
    await legacy.query('COMMIT');
    expect(await entryOf(c, userId)).toBeUndefined();
    const events = await eventsOf(c, [userId], mark);
    expect(events).toMatchObject([{ effect: 'WRITE', kind: null, side: 'both', ...sqlWriter('legacy-billing') }]);
    expect(events[0]!.before).toMatchObject({ progress: { level: 1, totalXp: 0 }, license: { level: 1 } });
    expect(events[0]!.after).toMatchObject({ progress: { level: 2, totalXp: 25_000, completedSessions: 12 }, license: { level: 2 } });
    await expectSetMatchesOracle(c);
  });

  it('a threshold change judges, at its commit, exactly the progress it makes invalid or valid (side requirements)', async () => {
    const rules = await named('rules-admin');
    // COACH level 2 needs 20,000 XP and 10 sessions, level 3 45,000 and 22. Level 2 goes to 30,000 XP.
    const belowNewMinimum = await createPair(c, { spec: 'COACH', progressLevel: 2, xp: 25_000 });
    const stillValid = await createPair(c, { spec: 'COACH', progressLevel: 2, xp: 35_000 });
    const noLongerEarns = await createPair(c, { spec: 'COACH', progressLevel: 1, xp: 25_000, sessions: 10 });
    const unaffected = await createPair(c, { spec: 'COACH', progressLevel: 3 });
    const ids = [belowNewMinimum, stillValid, noLongerEarns, unaffected].map((p) => p.userId);
    expect((await expectSetMatchesOracle(c)).filter((e) => ids.includes(e.user_id))).toMatchObject([
      { user_id: noLongerEarns.userId, kind: 'INVALID_PROGRESS' },
    ]);
    const change = async (xp: number) => {
      const mark = await lastEventId(c);
      const before = await entryOf(c, belowNewMinimum.userId, 'COACH');
      await rules.query('BEGIN');
      await rules.query(`UPDATE level_requirements SET xp_required = $1 WHERE specialization_id = 'COACH' AND level = 2`, [xp]);
      expect(await entryOf(c, belowNewMinimum.userId, 'COACH')).toEqual(before); // judged at commit only
      await rules.query('COMMIT');
      const events = (await eventsOf(c, ids, mark)).filter((e) => e.effect !== 'WRITE').sort((a, b) => a.user_id - b.user_id);
      for (const e of await eventsOf(c, null, mark)) expect(e).toMatchObject({ side: 'requirements', ...sqlWriter('rules-admin') });
      return events.map((e) => [e.user_id, e.effect, e.kind]);
    };
    expect(await change(30_000)).toEqual([
      [belowNewMinimum.userId, 'BROKE', 'INVALID_PROGRESS'],
      [noLongerEarns.userId, 'FIXED', null],
    ]);
    expect(await entryOf(c, belowNewMinimum.userId, 'COACH')).toMatchObject({ kind: 'INVALID_PROGRESS', caused_by: 'sql:rules-admin' });
    await expectSetMatchesOracle(c);
    expect(await change(20_000)).toEqual([
      [belowNewMinimum.userId, 'FIXED', null],
      [noLongerEarns.userId, 'BROKE', 'INVALID_PROGRESS'],
    ]);
    await expectSetMatchesOracle(c);
  });
});
