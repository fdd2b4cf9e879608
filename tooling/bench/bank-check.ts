import pg from 'pg';
import { createDb } from '../../lib/db/prisma';
import { advanceLicense, isSyncError, recordProgress, runSyncJob, syncPair, type Actor } from '../../lib/sync';

/**
 * A Jepsen-style "bank" check of coupled updates: many callers hammer a few hot pairs with every
 * kind of write the app makes, and the invariants are checked afterwards from the database:
 * every pair consistent, no lost XP, exactly one audit event per applied change, and no caller
 * ever saw a deadlock or serialization error (the engine retries those, with a bound). The check
 * builds its own clients from the URL: the engine's (a Prisma pool) and a pg client for its SQL.
 */

export interface BankCheckOptions {
  updates: number;
  callers: number;
  pairs: number;
  /** Every `syncJobEvery`-th operation is a sync job (ALREADY_RUNNING is expected and counted). */
  syncJobEvery?: number;
  /** Connections of the engine's pool (default 20). */
  poolSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BankCheckResult {
  applied: {
    recordProgress: number;
    advanceLicense: number;
    /** Advances refused because the progress already earns a higher level (nothing written). */
    advanceRefused: number;
    syncPair: number;
    syncJobs: number;
    alreadyRunning: number;
  };
  xpIncrements: number;
  xpRaisedByAdvances: number;
  xpInDatabase: number;
  inconsistentPairs: number;
  audit: { recordProgress: number; advanceLicense: number; syncPair: number; syncJobRepairs: number; syncJobRepairsRecorded: number };
  unexpectedErrors: string[];
  ok: boolean;
  seconds: number;
}

const actor: Actor = { label: 'bank-check', source: 'APP' };

export async function runBankCheck(databaseUrl: string, opts: BankCheckOptions): Promise<BankCheckResult> {
  const db = createDb(databaseUrl, { poolSize: opts.poolSize ?? 20 });
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const started = performance.now();
  try {
    const specs = ['PLAYER', 'COACH', 'INTERNSHIP'];
    const { rows: users } = await c.query<{ id: number }>(
      `INSERT INTO users (email, name)
       SELECT 'bank-' || gen_random_uuid() || '@check.test', 'Bank ' || g FROM generate_series(1, $1::int) g RETURNING id`,
      [opts.pairs],
    );
    const pairs = users.map((u, i) => ({ userId: u.id, spec: specs[i % 3]! }));
    await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       SELECT u, s, 1, 0, 0 FROM unnest($1::int[], $2::text[]) AS t(u, s)`,
      [pairs.map((p) => p.userId), pairs.map((p) => p.spec)],
    );
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       SELECT u, s, 1, now() FROM unnest($1::int[], $2::text[]) AS t(u, s)`,
      [pairs.map((p) => p.userId), pairs.map((p) => p.spec)],
    );
    const ids = pairs.map((p) => p.userId);
    const jobsBefore = (await c.query<{ id: number }>(`SELECT coalesce(max(id), 0) AS id FROM sync_jobs`)).rows[0]!.id;

    const applied = { recordProgress: 0, advanceLicense: 0, advanceRefused: 0, syncPair: 0, syncJobs: 0, alreadyRunning: 0 };
    let xpIncrements = 0;
    const unexpectedErrors: string[] = [];
    let next = 0;
    let done = 0;
    const every = opts.syncJobEvery ?? 500;

    const one = async (i: number) => {
      const pair = pairs[(i * 7919) % pairs.length]!;
      const roll = i % 20;
      try {
        if (i % every === every - 1) {
          // A legacy write breaks the pair first, so the job has something to repair.
          for (const p of pairs.slice(0, 10)) {
            await c.query(
              `UPDATE user_licenses SET current_level = 1 WHERE user_id = $1 AND specialization_id = $2 AND current_level > 1`,
              [p.userId, p.spec],
            );
          }
          await runSyncJob(db, { trigger: 'MANUAL', actor, batchSize: 10 });
          applied.syncJobs++;
        } else if (roll === 0) {
          const max = pair.spec === 'INTERNSHIP' ? 3 : 8;
          try {
            await advanceLicense(db, pair.userId, pair.spec, 1 + (i % max), actor, 'bank check');
            applied.advanceLicense++;
          } catch (err) {
            // A level below what the progress earns would leave an invalid pair: refused, nothing written.
            if (!isSyncError(err, 'VALIDATION') || !/already earns/.test(err.message)) throw err;
            applied.advanceRefused++;
          }
        } else if (roll === 1 || roll === 2) {
          // A legacy write breaks the pair; the repair races the other writers of the same rows.
          await c.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1 AND specialization_id = $2 AND current_level > 1`, [
            pair.userId,
            pair.spec,
          ]);
          const r = await syncPair(db, pair.userId, pair.spec, actor);
          if (r.outcome === 'SYNCED') applied.syncPair++;
        } else {
          const xp = 1 + (i % 500);
          await recordProgress(db, pair.userId, pair.spec, { xpGained: xp, sessionsCompleted: i % 3 === 0 ? 1 : 0 }, actor);
          xpIncrements += xp;
          applied.recordProgress++;
        }
      } catch (err) {
        if (isSyncError(err, 'ALREADY_RUNNING')) applied.alreadyRunning++;
        else unexpectedErrors.push(err instanceof Error ? err.message : String(err));
      }
      done++;
      if (done % 500 === 0) opts.onProgress?.(done, opts.updates);
    };
    await Promise.all(
      Array.from({ length: opts.callers }, async () => {
        while (next < opts.updates) await one(next++);
      }),
    );

    const q = async (sql: string, params: unknown[]) => (await c.query<{ n: number }>(sql, params)).rows[0]!.n;
    const audit = {
      recordProgress: await q(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'RECORD_PROGRESS' AND user_id = ANY($1)`, [ids]),
      advanceLicense: await q(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'ADVANCE_LICENSE' AND user_id = ANY($1)`, [ids]),
      syncPair: await q(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'SYNC_PAIR' AND user_id = ANY($1)`, [ids]),
      syncJobRepairs: await q(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'SYNC_JOB_REPAIR' AND sync_job_id > $1`, [
        jobsBefore,
      ]),
      syncJobRepairsRecorded: await q(`SELECT coalesce(sum(synced), 0)::int AS n FROM sync_jobs WHERE id > $1`, [jobsBefore]),
    };
    const xpRaisedByAdvances = await q(
      `SELECT coalesce(sum(greatest((after->>'totalXp')::int - (before->>'totalXp')::int, 0)), 0)::int AS n
       FROM audit_events WHERE action = 'ADVANCE_LICENSE' AND user_id = ANY($1)`,
      [ids],
    );
    const xpInDatabase = await q(`SELECT coalesce(sum(total_xp), 0)::int AS n FROM specialization_progress WHERE user_id = ANY($1)`, [ids]);
    const inconsistentPairs = await q(
      `SELECT count(*)::int AS n FROM specialization_progress p FULL JOIN user_licenses l USING (user_id, specialization_id)
       WHERE coalesce(p.user_id, l.user_id) = ANY($1) AND (p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level)`,
      [ids],
    );
    const ok =
      unexpectedErrors.length === 0 &&
      inconsistentPairs === 0 &&
      xpInDatabase === xpIncrements + xpRaisedByAdvances &&
      audit.recordProgress === applied.recordProgress &&
      audit.advanceLicense === applied.advanceLicense &&
      audit.syncPair === applied.syncPair &&
      audit.syncJobRepairs === audit.syncJobRepairsRecorded;
    return {
      applied,
      xpIncrements,
      xpRaisedByAdvances,
      xpInDatabase,
      inconsistentPairs,
      audit,
      unexpectedErrors: unexpectedErrors.slice(0, 20),
      ok,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await c.end();
    await db.$disconnect();
  }
}
