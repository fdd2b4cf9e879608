import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceLicense, recordProgress, runSyncJob, syncPair } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { countDesyncsIndependently, createPair, testActor } from '../support/factories';

/**
 * Concurrency is only proven under real concurrent load: many callers at once on a pool of
 * real connections, PostgreSQL deciding who waits for whom.
 */
let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

async function totals(userIds: number[]) {
  const { rows } = await c.query(
    `SELECT coalesce(sum(total_xp), 0)::int AS xp, coalesce(sum(completed_sessions), 0)::int AS sessions
     FROM specialization_progress WHERE user_id = ANY($1)`,
    [userIds],
  );
  return rows[0] as { xp: number; sessions: number };
}

describe('concurrent coupled updates', () => {
  it('100 concurrent recordProgress calls on one pair lose no XP and leave it consistent', async () => {
    const { userId } = await createPair(c, { progressLevel: 1, xp: 0, sessions: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => recordProgress(db, userId, 'PLAYER', { xpGained: 1_000 + i, sessionsCompleted: 1 }, testActor)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const expectedXp = Array.from({ length: 100 }, (_, i) => 1_000 + i).reduce((a, b) => a + b, 0);
    expect(await totals([userId])).toEqual({ xp: expectedXp, sessions: 100 });
    const { rows } = await c.query(
      `SELECT p.current_level AS p, l.current_level AS l
       FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id) WHERE user_id = $1`,
      [userId],
    );
    expect(rows[0].p).toBe(rows[0].l);
    expect(rows[0].p).toBe(4); // 104,950 XP and 100 sessions: level 4 (95,000 / 42)
    const audits = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1 AND action = 'RECORD_PROGRESS'`, [userId]);
    expect(audits.rows[0].n).toBe(100);
  });

  it('1,000 calls spread over 50 pairs, mixed with admin advances and repairs: no lost XP, zero desyncs', async () => {
    const pairs = [];
    for (let i = 0; i < 50; i++)
      pairs.push(await createPair(c, { spec: i % 2 ? 'COACH' : 'PLAYER', progressLevel: 1, xp: 0, sessions: 0 }));
    const ids = pairs.map((p) => p.userId);
    let xpApplied = 0;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 1_000; i++) {
      const pair = pairs[(i * 7) % 50]!;
      const xp = 10 + (i % 90);
      xpApplied += xp;
      calls.push(recordProgress(db, pair.userId, pair.spec, { xpGained: xp, sessionsCompleted: i % 2 }, testActor));
      // Interleave the other writers of the same rows.
      if (i % 50 === 0) calls.push(advanceLicense(db, pair.userId, pair.spec, 2, testActor, 'concurrent admin edit'));
      if (i % 40 === 0) calls.push(syncPair(db, pair.userId, pair.spec, testActor));
    }
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);

    // advanceLicense may raise XP to a level minimum; the only other change is recordProgress's.
    const { rows } = await c.query(
      `SELECT coalesce(sum((after->>'xpGained')::int), 0)::int AS gained
       FROM audit_events WHERE action = 'RECORD_PROGRESS' AND user_id = ANY($1)`,
      [ids],
    );
    expect(rows[0].gained).toBe(xpApplied);
    const raised = await c.query(
      `SELECT coalesce(sum(greatest((after->>'totalXp')::int - (before->>'totalXp')::int, 0)), 0)::int AS raised
       FROM audit_events WHERE action = 'ADVANCE_LICENSE' AND user_id = ANY($1)`,
      [ids],
    );
    expect((await totals(ids)).xp).toBe(xpApplied + raised.rows[0].raised);
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });

  it('recordProgress racing a sync job leaves everything consistent', async () => {
    const broken = [];
    for (let i = 0; i < 40; i++) broken.push(await createPair(c, { progressLevel: 2, licenseLevel: 1 }));
    const writes = broken.flatMap((p) => [
      recordProgress(db, p.userId, p.spec, { xpGained: 100, sessionsCompleted: 1 }, testActor),
      recordProgress(db, p.userId, p.spec, { xpGained: 50, sessionsCompleted: 0 }, testActor),
    ]);
    const [job, ...rest] = await Promise.allSettled([runSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize: 7 }), ...writes]);
    expect(job.status).toBe('fulfilled');
    expect(rest.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });
});
