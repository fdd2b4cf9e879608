import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLatestHealthCheck, listDesyncs, listHealthChecks, runFullAudit } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { countDesyncsIndependently, createLearner, createPair } from '../support/factories';

/**
 * A data set built with known numbers of each desync kind; this file has its own database, so
 * whole-table counts are exact.
 */
let c: pg.Client;
const known = { consistent: 40, LEVEL_MISMATCH: 7, MISSING_LICENSE: 5, MISSING_PROGRESS: 4, ORPHAN_PROGRESS: 2, ORPHAN_LICENSE: 1 };

beforeAll(async () => {
  c = await rawClient();
  for (let i = 0; i < known.consistent; i++) await createPair(c, { spec: i % 3 === 0 ? 'COACH' : 'PLAYER', progressLevel: 1 + (i % 3) });
  for (let i = 0; i < known.LEVEL_MISMATCH; i++) await createPair(c, { progressLevel: 3, licenseLevel: 2 });
  for (let i = 0; i < known.MISSING_LICENSE; i++) await createPair(c, { spec: 'INTERNSHIP', progressLevel: 2, licenseLevel: null });
  for (let i = 0; i < known.MISSING_PROGRESS; i++) await createPair(c, { spec: 'COACH', progressLevel: null, licenseLevel: 4 });
  // Orphans exist only where the foreign keys were bypassed, as a restore of an old backup would.
  await c.query(`SET session_replication_role = replica`);
  for (let i = 0; i < known.ORPHAN_PROGRESS; i++) {
    await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES ($1, 'PLAYER', 1, 0, 0)`,
      [900_000 + i],
    );
  }
  await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES (910000, 'COACH', 1, now())`);
  await c.query(`SET session_replication_role = origin`);
});
afterAll(async () => {
  await c.end();
});

describe('runFullAudit', () => {
  it('counts every desync kind exactly and computes the consistency rate', async () => {
    const check = await runFullAudit(db);
    const total = Object.values(known).reduce((a, b) => a + b, 0);
    expect(check.totalPairs).toBe(total);
    expect(check.consistentPairs).toBe(known.consistent);
    expect(check.consistencyRate).toBeCloseTo(known.consistent / total, 10);
    expect(check.byKind).toEqual({
      INVALID_PROGRESS: 0,
      LICENSE_IN_FUTURE: 0,
      LEVEL_MISMATCH: 7,
      MISSING_LICENSE: 5,
      MISSING_PROGRESS: 4,
      ORPHAN_PROGRESS: 2,
      ORPHAN_LICENSE: 1,
    });
    expect(check.orphans).toBe(3);
    expect(check.bySpecialization.INTERNSHIP).toMatchObject({ MISSING_LICENSE: 5 });
    expect(check.bySpecialization.COACH).toMatchObject({ MISSING_PROGRESS: 4, ORPHAN_LICENSE: 1 });
    // The same figures from SQL written independently of the engine's.
    const independent = await countDesyncsIndependently(c);
    expect(independent.level_mismatch).toBe(check.byKind.LEVEL_MISMATCH);
    expect(independent.missing_license).toBe(check.byKind.MISSING_LICENSE + check.byKind.ORPHAN_PROGRESS);
    expect(independent.missing_progress).toBe(check.byKind.MISSING_PROGRESS + check.byKind.ORPHAN_LICENSE);
  });

  it('stores a snapshot and keeps the current desync list queryable', async () => {
    const check = await runFullAudit(db);
    expect(await getLatestHealthCheck(db)).toMatchObject({ id: check.id, totalPairs: check.totalPairs });
    const page = await listDesyncs(db, { limit: 500 });
    expect(page.total).toBe(19);
    expect(page.items.filter((d) => d.kind === 'MISSING_PROGRESS')).toHaveLength(4);
    const history = await listHealthChecks(db);
    expect(history.map((h) => h.id)).toEqual([...history.map((h) => h.id)].sort((a, b) => a! - b!));
  });

  it('keeps "since" for a pair that stays out of sync and drops repaired pairs', async () => {
    const { userId } = await createPair(c, { progressLevel: 2, licenseLevel: 1 });
    await runFullAudit(db);
    const row = (await listDesyncs(db, { limit: 500 })).items.find((d) => d.userId === userId)!;
    expect(row).toMatchObject({ kind: 'LEVEL_MISMATCH', progressLevel: 2, licenseLevel: 1 });
    await new Promise((r) => setTimeout(r, 20));
    await runFullAudit(db);
    const again = (await listDesyncs(db, { limit: 500 })).items.find((d) => d.userId === userId)!;
    expect(again.since).toEqual(row.since);
    await c.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [userId]);
    await runFullAudit(db);
    expect((await listDesyncs(db, { limit: 500 })).items.find((d) => d.userId === userId)).toBeUndefined();
  });
});

describe('listDesyncs', () => {
  it('filters by kind and specialization, and searches by email or name', async () => {
    const id = await createLearner(c, 'Zebulon Quartz');
    await createPair(c, { userId: id, progressLevel: 1, licenseLevel: 2 });
    await runFullAudit(db);
    expect((await listDesyncs(db, { kind: 'MISSING_LICENSE' })).total).toBe(5);
    expect((await listDesyncs(db, { specialization: 'COACH' })).total).toBe(5);
    expect((await listDesyncs(db, { kind: 'MISSING_PROGRESS', specialization: 'PLAYER' })).total).toBe(0);
    const byName = await listDesyncs(db, { search: 'zebulon' });
    expect(byName.items.map((d) => d.userId)).toEqual([id]);
    expect((await listDesyncs(db, { search: '%' })).total).toBe(0); // a wildcard is searched as a character
    expect((await listDesyncs(db, { search: "'; DROP TABLE users; --" })).total).toBe(0);
    expect((await listDesyncs(db, { search: 'x'.repeat(10_000) })).total).toBe(0);
  });

  it('pages with a cursor in a stable order without repeating or skipping rows', async () => {
    const all = (await listDesyncs(db, { limit: 500 })).items.map((d) => `${d.userId}:${d.specializationId}:${d.kind}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listDesyncs>> = await listDesyncs(db, { limit: 4, cursor });
      seen.push(...page.items.map((d) => `${d.userId}:${d.specializationId}:${d.kind}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    const offsetPage = await listDesyncs(db, { limit: 4, offset: 4 });
    expect(offsetPage.items.map((d) => `${d.userId}:${d.specializationId}:${d.kind}`)).toEqual(all.slice(4, 8));
  });

  it('refuses an unknown kind or a forged cursor with VALIDATION', async () => {
    await expect(listDesyncs(db, { kind: 'NOPE' as never })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(listDesyncs(db, { cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(listDesyncs(db, { limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
