import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHealth, requestedAudit, runFullAudit } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createPair } from '../support/factories';
import { counterFigures, desyncSet, expectSetMatchesOracle, oracleDesyncs, oracleFigures, type Entry } from './detection-oracle';

/**
 * The full audit is the check on detection at commit: with the triggers intact it finds nothing to
 * correct (drift 0); where they were bypassed (a disabled trigger, TRUNCATE, a tampered set or
 * counters) it corrects the set and the counters and reports exactly what it corrected as drift.
 * One database for the file; each case leaves the set equal to the oracle.
 */
let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

/** Runs `sql` with the user triggers of user_licenses disabled (one transaction, so nothing else runs meanwhile). */
async function withoutLicenseTriggers(sql: string, params: unknown[] = []) {
  await c.query('BEGIN');
  await c.query('ALTER TABLE user_licenses DISABLE TRIGGER USER');
  await c.query(sql, params);
  await c.query('ALTER TABLE user_licenses ENABLE TRIGGER USER');
  await c.query('COMMIT');
}

const key = (e: Entry) => `${e.user_id}/${e.spec}`;

/** Pairs whose entry in the set (kind and levels) differs from the oracle's: what a re-judgement must change. */
function differing(set: Entry[], oracle: Entry[]): number {
  const text = (e: Entry) => `${e.kind}/${e.pl}/${e.ll}`;
  const a = new Map(set.map((e) => [key(e), text(e)]));
  const b = new Map(oracle.map((e) => [key(e), text(e)]));
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).length;
}

async function setVsTables() {
  return differing(await desyncSet(c), await oracleDesyncs(c));
}

describe('the full audit', () => {
  it('with the triggers intact, reports drift 0 and changes nothing', async () => {
    for (let i = 0; i < 10; i++) await createPair(c, { progressLevel: 1 + (i % 3) });
    await createPair(c, { progressLevel: 3, licenseLevel: 2 });
    await createPair(c, { progressLevel: 2, licenseLevel: null });
    await createPair(c, { spec: 'COACH', progressLevel: null, licenseLevel: 2 });
    const before = await expectSetMatchesOracle(c);
    expect(before).toHaveLength(3);
    const audit = await runFullAudit(db);
    expect(audit).toMatchObject({ kind: 'AUDIT', drift: 0, totalPairs: 13, consistentPairs: 10 });
    const since = async () => (await c.query(`SELECT user_id, kind, since, caused_by FROM current_desyncs ORDER BY 1, 2`)).rows;
    const kept = await since();
    expect(await runFullAudit(db)).toMatchObject({ drift: 0 });
    expect(await since()).toEqual(kept);
    const stored = await c.query(`SELECT drift, drift_detail FROM health_checks WHERE id = $1`, [audit.id]);
    expect(stored.rows[0]).toEqual({ drift: 0, drift_detail: { pairs: 0, counters: 0, candidates: 0 } });
  });

  it('with license triggers disabled: the set goes stale, the audit corrects exactly the differing entries, then reports 0', async () => {
    const fine = [];
    for (let i = 0; i < 4; i++) fine.push(await createPair(c, { progressLevel: 2 }));
    const mismatched = [];
    for (let i = 0; i < 3; i++) mismatched.push(await createPair(c, { progressLevel: 3, licenseLevel: 1 }));
    const stale = await expectSetMatchesOracle(c);
    await withoutLicenseTriggers(`UPDATE user_licenses SET current_level = 1 WHERE user_id = ANY($1)`, [
      fine.slice(0, 3).map((p) => p.userId),
    ]);
    await withoutLicenseTriggers(`UPDATE user_licenses SET current_level = 3 WHERE user_id = ANY($1)`, [
      mismatched.slice(0, 2).map((p) => p.userId),
    ]);
    await withoutLicenseTriggers(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [mismatched[2]!.userId]); // 3/1 -> 3/2
    await withoutLicenseTriggers(`DELETE FROM user_licenses WHERE user_id = $1`, [fine[3]!.userId]);
    // Broken and mended unseen: no difference, no drift.
    const ghost = await createPair(c, { progressLevel: 1 });
    await withoutLicenseTriggers(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [ghost.userId]);
    await withoutLicenseTriggers(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1`, [ghost.userId]);

    expect(await desyncSet(c)).toEqual(stale);
    expect(await setVsTables()).toBe(3 + 2 + 1 + 1);
    expect(await counterFigures()).not.toEqual(await oracleFigures(c));
    const audit = await runFullAudit(db);
    expect(audit.drift).toBe(7);
    await expectSetMatchesOracle(c);
    const entries = await c.query(`SELECT caused_by, count(*)::int AS n FROM current_desyncs WHERE user_id = ANY($1) GROUP BY 1`, [
      [...fine, ...mismatched].map((p) => p.userId),
    ]);
    // What only the audit saw is attributed to it; the entry whose levels alone changed keeps its cause.
    expect(entries.rows.sort((a, b) => a.caused_by.localeCompare(b.caused_by))).toEqual([
      { caused_by: 'audit', n: 4 },
      { caused_by: expect.stringMatching(/^sql:/), n: 1 },
    ]);
    expect(await runFullAudit(db)).toMatchObject({ drift: 0 });
  });

  it('after TRUNCATE of user_licenses: an audit is requested, the figures are wrong until it runs, then right', async () => {
    expect(await requestedAudit(db)).toBeNull();
    await c.query('TRUNCATE user_licenses');
    expect(await requestedAudit(db)).toMatchObject({ reason: 'TRUNCATE user_licenses' });
    const truth = await oracleFigures(c);
    expect(truth.consistentPairs).toBe(0);
    const live = await readHealth(db);
    expect({ totalPairs: live.totalPairs, consistentPairs: live.consistentPairs }).not.toEqual({
      totalPairs: truth.totalPairs,
      consistentPairs: truth.consistentPairs,
    });
    const expectedDrift = await setVsTables();
    expect(expectedDrift).toBe(19); // 18 pairs lost their license (2 had none already), 1 license-only pair is gone
    const audit = await runFullAudit(db);
    expect(audit.drift).toBe(expectedDrift);
    expect(audit).toMatchObject({ totalPairs: truth.totalPairs, consistentPairs: 0, byKind: truth.byKind });
    expect(await readHealth(db)).toMatchObject({ totalPairs: truth.totalPairs, consistentPairs: 0, byKind: truth.byKind });
    await expectSetMatchesOracle(c);
    expect(await requestedAudit(db)).toBeNull();
  });

  it('after entries were deleted from the set by hand: drift equals the deleted count', async () => {
    const n = (await c.query(`SELECT count(*)::int AS n FROM current_desyncs`)).rows[0].n as number;
    expect(n).toBeGreaterThan(10);
    const deleted = await c.query(
      `DELETE FROM current_desyncs WHERE (user_id, specialization_id) IN (SELECT user_id, specialization_id FROM current_desyncs LIMIT 5)`,
    );
    expect(deleted.rowCount).toBe(5);
    const audit = await runFullAudit(db);
    expect(audit.drift).toBe(5);
    await expectSetMatchesOracle(c);
    expect(await runFullAudit(db)).toMatchObject({ drift: 0 });
  });

  it('after the counters were tampered with: drift includes the correction and the figures are right afterwards', async () => {
    await c.query(`INSERT INTO sw_count_deltas VALUES (default, 'progress_rows', 'PLAYER', 7)`);
    await c.query(`INSERT INTO sw_count_deltas VALUES (default, 'desyncs', 'MISSING_LICENSE:PLAYER', -2)`);
    expect(await counterFigures()).not.toEqual(await oracleFigures(c));
    const audit = await runFullAudit(db);
    expect(audit.drift).toBe(9);
    await expectSetMatchesOracle(c);
    expect(await runFullAudit(db)).toMatchObject({ drift: 0 });
  });
});
