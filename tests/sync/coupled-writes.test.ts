import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceLicense, getPair, recordProgress } from '../../lib/sync';
import { levelEarned } from '../../lib/sync/level-rules';
import { getLevelTable } from '../../lib/sync/levels';
import { db, rawClient } from '../support/db';
import { createLearner, createPair, failWritesOf, readPairRaw, testActor } from '../support/factories';

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

async function auditCount(userId: number, action?: string) {
  const { rows } = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1 AND ($2::text IS NULL OR action = $2)`, [
    userId,
    action ?? null,
  ]);
  return rows[0].n as number;
}

describe('recordProgress', () => {
  it('adds XP and sessions and raises progress and license together', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const pair = await recordProgress(db, userId, 'PLAYER', { xpGained: 25_000, sessionsCompleted: 12 }, testActor);
    expect(pair.progress).toMatchObject({ level: 2, totalXp: 25_000, completedSessions: 12 });
    expect(pair.license?.level).toBe(2);
    const raw = await readPairRaw(c, userId, 'PLAYER');
    expect(raw.progress.current_level).toBe(2);
    expect(raw.license.current_level).toBe(2);
    expect(await auditCount(userId, 'RECORD_PROGRESS')).toBe(1);
  });

  it('needs both the XP and the sessions of a level', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const pair = await recordProgress(db, userId, 'PLAYER', { xpGained: 100_000, sessionsCompleted: 11 }, testActor);
    expect(pair.progress?.level).toBe(1);
    const more = await recordProgress(db, userId, 'PLAYER', { xpGained: 0, sessionsCompleted: 1 }, testActor);
    expect(more.progress?.level).toBe(2);
  });

  it('climbs several levels at once and never past the maximum', async () => {
    const { userId } = await createPair(c, { progressLevel: 1, spec: 'INTERNSHIP' });
    const pair = await recordProgress(db, userId, 'INTERNSHIP', { xpGained: 1_000_000, sessionsCompleted: 10_000 }, testActor);
    expect(pair.progress?.level).toBe(3);
    expect(pair.license?.level).toBe(3);
  });

  it('creates the license when it is missing', async () => {
    const { userId } = await createPair(c, { progressLevel: 2, licenseLevel: null });
    const pair = await recordProgress(db, userId, 'PLAYER', { xpGained: 10, sessionsCompleted: 1 }, testActor);
    expect(pair.license?.level).toBe(2);
    expect((await readPairRaw(c, userId, 'PLAYER')).license.current_level).toBe(2);
  });

  it('starts a learner with no rows at level 1 and creates both', async () => {
    const userId = await createLearner(c);
    const pair = await recordProgress(db, userId, 'COACH', { xpGained: 20_000, sessionsCompleted: 10 }, testActor);
    expect(pair.progress?.level).toBe(2);
    expect(pair.license?.level).toBe(2);
  });

  it('starts missing progress at the license level minimum', async () => {
    const { userId } = await createPair(c, { progressLevel: null, licenseLevel: 3 });
    const pair = await recordProgress(db, userId, 'PLAYER', { xpGained: 1, sessionsCompleted: 0 }, testActor);
    expect(pair.progress).toMatchObject({ level: 3, totalXp: 55_001, completedSessions: 26 });
  });

  it('agrees with the TypeScript statement of the level rule', async () => {
    const table = await getLevelTable(db, 'PLAYER');
    const cases = [
      [0, 1],
      [24_999, 12],
      [25_000, 11],
      [25_000, 12],
      [55_000, 26],
      [319_999, 200],
      [320_000, 126],
      [900_000, 9_000],
    ] as const;
    for (const [xp, sessions] of cases) {
      const userId = await createLearner(c);
      const pair = await recordProgress(db, userId, 'PLAYER', { xpGained: xp, sessionsCompleted: sessions }, testActor);
      expect(pair.progress?.level, `${xp} XP, ${sessions} sessions`).toBe(levelEarned(table, xp, sessions));
    }
  });

  it.each([
    ['negative XP', { xpGained: -1, sessionsCompleted: 0 }],
    ['negative sessions', { xpGained: 0, sessionsCompleted: -3 }],
    ['fractional XP', { xpGained: 1.5, sessionsCompleted: 0 }],
    ['NaN', { xpGained: Number.NaN, sessionsCompleted: 0 }],
    ['Infinity', { xpGained: Number.POSITIVE_INFINITY, sessionsCompleted: 0 }],
    ['XP past the sane bound', { xpGained: 2 ** 31, sessionsCompleted: 0 }],
    ['a string', { xpGained: '100' as unknown as number, sessionsCompleted: 0 }],
    ['nothing to record (zero XP and zero sessions)', { xpGained: 0, sessionsCompleted: 0 }],
  ])('refuses %s with VALIDATION and writes nothing', async (_name, input) => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const before = await readPairRaw(c, userId, 'PLAYER');
    await expect(recordProgress(db, userId, 'PLAYER', input, testActor)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await readPairRaw(c, userId, 'PLAYER')).toEqual(before);
    expect(await auditCount(userId)).toBe(0);
  });

  it('refuses an unknown specialization with VALIDATION', async () => {
    const userId = await createLearner(c);
    await expect(recordProgress(db, userId, 'CHEF', { xpGained: 1, sessionsCompleted: 1 }, testActor)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });

  it('gives NOT_FOUND for a learner that does not exist', async () => {
    await expect(recordProgress(db, 2_000_000_000, 'PLAYER', { xpGained: 1, sessionsCompleted: 1 }, testActor)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('gives CONFLICT for a stale version and changes nothing', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const seen = await getPair(db, userId, 'PLAYER');
    await recordProgress(db, userId, 'PLAYER', { xpGained: 5, sessionsCompleted: 0, expectedVersion: seen.progress!.version }, testActor);
    const before = await readPairRaw(c, userId, 'PLAYER');
    await expect(
      recordProgress(db, userId, 'PLAYER', { xpGained: 5, sessionsCompleted: 0, expectedVersion: seen.progress!.version }, testActor),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await readPairRaw(c, userId, 'PLAYER')).toEqual(before);
  });

  it('leaves neither row written when the license write fails after the progress write', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const before = await readPairRaw(c, userId, 'PLAYER');
    const restore = await failWritesOf(c, 'user_licenses', userId);
    try {
      await expect(recordProgress(db, userId, 'PLAYER', { xpGained: 30_000, sessionsCompleted: 15 }, testActor)).rejects.toThrow();
    } finally {
      await restore();
    }
    expect(await readPairRaw(c, userId, 'PLAYER')).toEqual(before);
    expect(await auditCount(userId)).toBe(0);
  });
});

describe('advanceLicense', () => {
  it('moves the license and brings progress up to the level minimum, with the reason audited', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const pair = await advanceLicense(db, userId, 'PLAYER', 3, testActor, 'Passed the assessment');
    expect(pair.license?.level).toBe(3);
    expect(pair.progress).toMatchObject({ level: 3, totalXp: 55_000, completedSessions: 26 });
    const { rows } = await c.query(`SELECT reason, before, after FROM audit_events WHERE user_id = $1 AND action = 'ADVANCE_LICENSE'`, [
      userId,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      reason: 'Passed the assessment',
      before: { licenseLevel: 1 },
      after: { licenseLevel: 3, progressLevel: 3 },
    });
  });

  it('keeps XP above the minimum', async () => {
    const { userId } = await createPair(c, { progressLevel: 2, xp: 50_000, sessions: 20 });
    const pair = await advanceLicense(db, userId, 'PLAYER', 3, testActor);
    expect(pair.progress).toMatchObject({ level: 3, totalXp: 55_000, completedSessions: 26 });
    // Back to level 2 would leave progress that earns level 3: an invalid pair, so it is refused.
    await expect(advanceLicense(db, userId, 'PLAYER', 2, testActor)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/already earns level 3/),
    });
    expect(await readPairRaw(c, userId, 'PLAYER')).toMatchObject({ progress: { current_level: 3, total_xp: 55_000 } });
  });

  it('refuses a level past the maximum (max-level overflow) and writes nothing', async () => {
    const { userId } = await createPair(c, { progressLevel: 3, spec: 'INTERNSHIP' });
    const before = await readPairRaw(c, userId, 'INTERNSHIP');
    await expect(advanceLicense(db, userId, 'INTERNSHIP', 4, testActor)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(advanceLicense(db, userId, 'INTERNSHIP', 0, testActor)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await readPairRaw(c, userId, 'INTERNSHIP')).toEqual(before);
  });

  it('rolls back an interrupted upgrade: the license write fails, progress stays as it was', async () => {
    const { userId } = await createPair(c, { progressLevel: 2 });
    const before = await readPairRaw(c, userId, 'PLAYER');
    const restore = await failWritesOf(c, 'user_licenses', userId);
    try {
      await expect(advanceLicense(db, userId, 'PLAYER', 5, testActor, 'promotion')).rejects.toThrow();
    } finally {
      await restore();
    }
    expect(await readPairRaw(c, userId, 'PLAYER')).toEqual(before);
    expect(await auditCount(userId)).toBe(0);
  });

  it('gives CONFLICT when the license version is stale', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const seen = await getPair(db, userId, 'PLAYER');
    await advanceLicense(db, userId, 'PLAYER', 2, testActor, null, { expectedVersion: seen.license!.version });
    await expect(
      advanceLicense(db, userId, 'PLAYER', 3, testActor, null, { expectedVersion: seen.license!.version }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await readPairRaw(c, userId, 'PLAYER')).license.current_level).toBe(2);
  });

  it('refuses a reason with a NUL byte or over 500 characters', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    await expect(advanceLicense(db, userId, 'PLAYER', 2, testActor, 'a\u0000b')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(advanceLicense(db, userId, 'PLAYER', 2, testActor, 'x'.repeat(501))).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('raw SQL writes bump version and updated_at', () => {
  it('so a screen holding the old version gets CONFLICT even after a legacy write', async () => {
    const { userId } = await createPair(c, { progressLevel: 1 });
    const seen = await getPair(db, userId, 'PLAYER');
    await c.query(`UPDATE specialization_progress SET total_xp = total_xp + 1 WHERE user_id = $1`, [userId]);
    await expect(
      recordProgress(db, userId, 'PLAYER', { xpGained: 1, sessionsCompleted: 0, expectedVersion: seen.progress!.version }, testActor),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
