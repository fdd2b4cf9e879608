import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDesyncs, previewSync, runFullAudit } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createLearner, createPair } from '../support/factories';
import { oracleFigures } from './detection-oracle';

/**
 * The detection pass finds learner existence without joining users (an id range, the ids
 * missing from it, and a look-up of the rest) and unknown specializations without a per-row
 * check. These cases exercise each path against a classification written independently, as a
 * plain join of both tables with users and specializations.
 */
let c: pg.Client;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

/** Per specialization: pairs and desyncs by kind, from the obvious SQL (the shared oracle). */
async function independent() {
  return (await oracleFigures(c)).bySpecialization;
}

async function expectAgreement() {
  const check = await runFullAudit(db);
  const expected = await independent();
  expect(check.bySpecialization).toEqual(expected);
  const total = Object.values(expected).reduce((a, s) => a + s.pairs!, 0);
  const desynced = Object.values(expected).reduce(
    (a, s) =>
      a +
      Object.entries(s)
        .filter(([k]) => k !== 'pairs')
        .reduce((b, [, n]) => b + n, 0),
    0,
  );
  expect(check.totalPairs).toBe(total);
  expect(check.consistentPairs).toBe(total - desynced);
  expect((await listDesyncs(db, { limit: 500 })).total).toBe(desynced);
  expect((await previewSync(db, { limit: 0 })).found).toBe(desynced);
  return check;
}

async function bypassed(sql: string, params: unknown[] = []) {
  await c.query('BEGIN');
  await c.query('SET LOCAL session_replication_role = replica');
  await c.query(sql, params);
  await c.query('COMMIT');
}

describe('desync detection', () => {
  it('dates a desync from the commit that broke it, an update and a delete alike (no check needed)', async () => {
    const early = await createPair(c, { spec: 'COACH', progressLevel: 2 });
    const updated = await createPair(c, { progressLevel: 2 });
    const clock = async () => (await c.query<{ t: Date }>(`SELECT clock_timestamp() AS t`)).rows[0]!.t.getTime();
    const beforeUpdate = await clock();
    await c.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1`, [updated.userId]);
    const afterUpdate = await clock();
    // A delete leaves no row behind, yet its commit is seen the same way.
    await c.query(`DELETE FROM user_licenses WHERE user_id = $1`, [early.userId]);
    const afterDelete = await clock();
    const items = (await listDesyncs(db, { limit: 500 })).items;
    const since = (userId: number) => items.find((d) => d.userId === userId)!.since.getTime();
    expect(since(updated.userId)).toBeGreaterThanOrEqual(beforeUpdate - 1);
    expect(since(updated.userId)).toBeLessThanOrEqual(afterUpdate + 1);
    expect(since(early.userId)).toBeGreaterThanOrEqual(afterUpdate - 1);
    expect(since(early.userId)).toBeLessThanOrEqual(afterDelete + 1);
    // The audit agrees and keeps those dates.
    const audit = await runFullAudit(db);
    expect(audit.drift).toBe(0);
    expect(audit.byKind.MISSING_LICENSE).toBeGreaterThanOrEqual(1);
    expect((await listDesyncs(db, { limit: 500 })).items.find((d) => d.userId === early.userId)!.since.getTime()).toBe(since(early.userId));
    // Repair both so the cases below start from a consistent set.
    await c.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [updated.userId]);
    await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'COACH', 2, now())`, [
      early.userId,
    ]);
  });

  it('agrees with a plain join on dense learner ids', async () => {
    for (let i = 0; i < 12; i++) await createPair(c, { spec: i % 2 ? 'COACH' : 'PLAYER', progressLevel: 1 + (i % 3) });
    await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    await createPair(c, { progressLevel: 2, licenseLevel: null });
    await createPair(c, { spec: 'INTERNSHIP', progressLevel: null, licenseLevel: 2 });
    await expectAgreement();
  });

  it('finds orphans in gaps of the id range, and learners without pairs leave gaps that change nothing', async () => {
    const gone = await createPair(c, { spec: 'COACH', progressLevel: 2 });
    const goneLicenseOnly = await createPair(c, { progressLevel: null, licenseLevel: 3 });
    await createPair(c, { progressLevel: 1 }); // keeps the deleted ids inside the range
    const idle = await createLearner(c);
    await bypassed(`DELETE FROM users WHERE id = ANY($1)`, [[gone.userId, goneLicenseOnly.userId]]);
    await c.query(`DELETE FROM users WHERE id = $1`, [idle]);
    const check = await expectAgreement();
    expect(check.byKind).toMatchObject({ ORPHAN_PROGRESS: 1, ORPHAN_LICENSE: 1 });
  });

  it('finds pairs of learners past the end of the range', async () => {
    await bypassed(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES (2000000, 'PLAYER', 1, 0, 0)`,
    );
    await bypassed(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES (2000001, 'COACH', 1, now())`);
    const check = await expectAgreement();
    expect(check.byKind).toMatchObject({ ORPHAN_PROGRESS: 2, ORPHAN_LICENSE: 2 });
  });

  it('counts pairs of a specialization that no longer exists as orphans, consistent ones included', async () => {
    // One statement: a specialization and its levels are checked together at COMMIT.
    await c.query(`WITH s AS (INSERT INTO specializations (id, name, max_level) VALUES ('GHOST', 'Ghost', 1) RETURNING id)
      INSERT INTO level_requirements (specialization_id, level, xp_required, sessions_required) SELECT id, 1, 0, 0 FROM s`);
    await createPair(c, { spec: 'GHOST', progressLevel: 1 });
    await createPair(c, { spec: 'GHOST', progressLevel: null, licenseLevel: 1 });
    await bypassed(`DELETE FROM level_requirements WHERE specialization_id = 'GHOST'`);
    await bypassed(`DELETE FROM specializations WHERE id = 'GHOST'`);
    const check = await expectAgreement();
    expect(check.bySpecialization.GHOST).toMatchObject({ pairs: 2, ORPHAN_PROGRESS: 1, ORPHAN_LICENSE: 1 });
  });

  it('stays exact when learner ids are too sparse for the range (the pass joins users instead)', async () => {
    // More than 100,000 ids missing from the range: a learner with a far-away id.
    const far = 50_000_000;
    await c.query(`INSERT INTO users (id, email, name) VALUES ($1, 'far@test.local', 'Far Away')`, [far]);
    await createPair(c, { userId: far, progressLevel: 2, licenseLevel: 1 });
    const check = await expectAgreement();
    expect(check.byKind.LEVEL_MISMATCH).toBeGreaterThanOrEqual(2);
  });
});
