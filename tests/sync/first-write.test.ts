import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceLicense, recordProgress, runSyncJob } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { countDesyncsIndependently, createLearner, createPair, testActor } from '../support/factories';

/**
 * A learner's first write to a pair that has no rows yet: `SELECT ... FOR UPDATE` locks nothing
 * when the row does not exist, so concurrent first writes must serialize on the pair itself.
 */

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

const xpOf = async (userIds: number[], spec: string) =>
  (
    await c.query<{ xp: number }>(
      `SELECT coalesce(sum(total_xp), 0)::int AS xp FROM specialization_progress WHERE user_id = ANY($1) AND specialization_id = $2`,
      [userIds, spec],
    )
  ).rows[0]!.xp;

describe('concurrent first writes to a pair with no rows', () => {
  it('two recordProgress calls per new learner both apply: no duplicate-key error, no lost XP', async () => {
    const learners: number[] = [];
    for (let i = 0; i < 50; i++) learners.push(await createLearner(c));
    const results = await Promise.allSettled(
      learners.flatMap((id) => [
        recordProgress(db, id, 'COACH', { xpGained: 100, sessionsCompleted: 1 }, testActor),
        recordProgress(db, id, 'COACH', { xpGained: 250, sessionsCompleted: 0 }, testActor),
      ]),
    );
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect(await xpOf(learners, 'COACH')).toBe(50 * 350);
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });

  it('a first recordProgress racing an advanceLicense: both apply and the pair ends consistent', async () => {
    const learners: number[] = [];
    for (let i = 0; i < 50; i++) learners.push(await createLearner(c));
    const results = await Promise.allSettled(
      learners.flatMap((id) => [
        recordProgress(db, id, 'INTERNSHIP', { xpGained: 10, sessionsCompleted: 0 }, testActor),
        advanceLicense(db, id, 'INTERNSHIP', 2, testActor, 'placement'),
      ]),
    );
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const { rows } = await c.query<{ pl: number; ll: number }>(
      `SELECT p.current_level AS pl, l.current_level AS ll FROM specialization_progress p
       JOIN user_licenses l USING (user_id, specialization_id)
       WHERE p.user_id = ANY($1) AND p.specialization_id = 'INTERNSHIP'`,
      [learners],
    );
    expect(rows).toHaveLength(50);
    expect(rows.every((r) => r.pl === 2 && r.ll === 2)).toBe(true);
  });

  it('a first recordProgress racing a sync job that creates the missing progress row', async () => {
    const pairs = [];
    for (let i = 0; i < 30; i++) pairs.push(await createPair(c, { spec: 'PLAYER', progressLevel: null, licenseLevel: 1 }));
    const job = runSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize: 3 });
    const writes = Promise.allSettled(
      pairs.map((p) => recordProgress(db, p.userId, 'PLAYER', { xpGained: 7, sessionsCompleted: 0 }, testActor)),
    );
    const [done, results] = await Promise.all([job, writes]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect(done.status).not.toBe('FAILED');
    expect(
      await xpOf(
        pairs.map((p) => p.userId),
        'PLAYER',
      ),
    ).toBe(30 * 7);
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });
});
