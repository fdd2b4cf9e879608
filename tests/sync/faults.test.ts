import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRunningJob, listSyncJobItems, runSyncJob } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { countDesyncsIndependently, createPair, testActor } from '../support/factories';

/**
 * Faults injected by PostgreSQL itself: the engine's connections are terminated
 * (pg_terminate_backend) at random points while sync jobs run.
 */
let c: pg.Client;
const pairs: { userId: number; spec: string }[] = [];

beforeAll(async () => {
  c = await rawClient();
  for (let i = 0; i < 120; i++) pairs.push(await createPair(c, { progressLevel: 2 + (i % 3), licenseLevel: 1 }));
});
afterAll(async () => {
  await c.end();
});

async function breakAll() {
  await c.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = ANY($1)`, [pairs.map((p) => p.userId)]);
}

/**
 * The first query after a kill may be handed a pooled connection the kill just closed, before
 * the pool has noticed (57P01); the pool then drops it. Reads in this test retry that, once or
 * twice, the way the dashboard's next poll does.
 */
async function afterKill<T>(read: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await read();
    } catch (err) {
      if (i >= 3 || !/57P01|terminat|closed/i.test(String((err as Error).message))) throw err;
    }
  }
}

async function killEngineConnections() {
  await c.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  );
}

describe('connections killed during sync jobs', () => {
  const twentyKills =
    '20 kills at random points: no half-written pair, the job ends with a reason, the slot is freed, the next run finishes the work';
  it(twentyKills, async () => {
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 20; round++) {
      await breakAll();
      // The outcome is taken at once: a claim the kill fails must not reject with no handler yet.
      const job = runSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize: 7 }).then(
        (j) => j,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      await new Promise((r) => setTimeout(r, Math.random() * 120));
      await killEngineConnections();
      const result = await job;
      // A kill that lands before the job is claimed fails the claim itself; nothing was started.
      if (result instanceof Error) {
        outcomes.CLAIM_FAILED = (outcomes.CLAIM_FAILED ?? 0) + 1;
        expect(await afterKill(() => getRunningJob(db))).toBeNull();
        continue;
      }
      outcomes[result.status] = (outcomes[result.status] ?? 0) + 1;
      expect(['SUCCEEDED', 'PARTIAL', 'FAILED']).toContain(result.status);
      if (result.status === 'FAILED') expect(result.error).toMatch(/connection|terminat/i);
      expect(await afterKill(() => getRunningJob(db))).toBeNull();

      // Every item recorded SYNCED is really repaired, and has exactly one audit event.
      const { items } = await afterKill(() => listSyncJobItems(db, result.id, { limit: 1000 }));
      const synced = items.filter((i) => i.outcome === 'SYNCED');
      expect(synced.length).toBe(result.synced);
      if (synced.length) {
        const { rows } = await c.query(
          `SELECT count(*)::int AS bad FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id)
           WHERE p.current_level <> l.current_level AND p.user_id = ANY($1)`,
          [synced.map((i) => i.userId)],
        );
        expect(rows[0].bad).toBe(0);
      }
      const audits = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'SYNC_JOB_REPAIR' AND sync_job_id = $1`, [
        result.id,
      ]);
      expect(audits.rows[0].n).toBe(result.synced);

      // The next run brings desyncs to zero.
      const next = await afterKill(() => runSyncJob(db, { trigger: 'MANUAL', actor: testActor }));
      expect(next.status).toBe('SUCCEEDED');
      expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
    }
    // The kills really interrupted jobs (not all landed after the end).
    expect((outcomes.FAILED ?? 0) + (outcomes.CLAIM_FAILED ?? 0)).toBeGreaterThan(0);
    console.info('fault outcomes', outcomes);
  });
});
