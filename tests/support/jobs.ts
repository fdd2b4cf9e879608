import type pg from 'pg';
import { isSyncError } from '../../lib/sync';

/**
 * Helpers for the operator-control tests (cancel, scoped sync, undo): a gate that holds a job's
 * batch inside its write statement for as long as a test wants, exact images of pairs, and the
 * typed error a call ends with.
 */

/** The advisory lock (classid 0, objid GATE_KEY, objsubid 1) the gate's trigger waits on. */
const GATE_KEY = 8_675_309;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds (no deadline: Vitest's test timeout is the bound). */
export async function waitUntil(check: () => Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await check())) await sleep(everyMs);
}

/** The SyncError code a call failed with, 'accepted' when it did not fail, or the untyped error's message. */
export async function codeOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'accepted';
  } catch (err) {
    return isSyncError(err) ? err.code : `UNTYPED: ${(err as Error).message}`;
  }
}

/**
 * A trigger on user_licenses that makes every write of these learners' licenses wait while the
 * gate is closed (a test holds GATE_KEY). A batch holding one of them waits inside its one write
 * statement, after it locked its pairs and before it records anything: exactly "a batch in flight".
 */
export function installGate(c: pg.Client, userIds: number[]) {
  const users = `'{${userIds.map(Number).join(',')}}'::int[]`;
  return installGateOn(c, 'user_licenses', 'BEFORE INSERT OR UPDATE OR DELETE', `coalesce(NEW.user_id, OLD.user_id) = ANY(${users})`);
}

/** The same gate on any table and timing, for rows matching `condition` (plpgsql over NEW and OLD). */
export async function installGateOn(
  c: pg.Client,
  table: 'user_licenses' | 'sync_jobs' | 'audit_events',
  timing: string,
  condition: string,
) {
  await c.query(`CREATE OR REPLACE FUNCTION sw_test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${condition} THEN PERFORM pg_advisory_xact_lock_shared(${GATE_KEY}::bigint); END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$`);
  await c.query(`DROP TRIGGER IF EXISTS sw_test_gate ON ${table}`);
  await c.query(`CREATE TRIGGER sw_test_gate ${timing} ON ${table} FOR EACH ROW EXECUTE FUNCTION sw_test_gate()`);
  return {
    close: () => c.query(`SELECT pg_advisory_lock(${GATE_KEY}::bigint)`),
    open: () => c.query(`SELECT pg_advisory_unlock_all()`),
    /** How many transactions are waiting at the gate now. */
    waiting: async () =>
      (
        await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = ${GATE_KEY} AND objsubid = 1
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      ).rows[0]!.n,
  };
}

export async function removeGate(c: pg.Client) {
  await c.query(`SELECT pg_advisory_unlock_all()`);
  await c.query(`DROP TRIGGER IF EXISTS sw_test_gate ON user_licenses`);
  await c.query(`DROP TRIGGER IF EXISTS sw_test_gate ON sync_jobs`);
  await c.query(`DROP TRIGGER IF EXISTS sw_test_gate ON audit_events`);
  await c.query(`DROP FUNCTION IF EXISTS sw_test_gate()`);
}

/** Whether some backend of this database waits for a row or transaction lock (e.g. behind a batch in flight). */
export async function someoneWaitsForARowLock(c: pg.Client): Promise<boolean> {
  // Transaction-id locks carry no database: the waiter's session tells which database it is in.
  const { rows } = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE NOT l.granted AND l.locktype IN ('transactionid', 'tuple', 'relation') AND a.datname = current_database()`,
  );
  return rows[0]!.n > 0;
}

export type PairKey = { userId: number; spec: string };
export const keyOf = (userId: number, spec: string) => `${userId}:${spec}`;

/**
 * Both rows of each pair, every column; `exact` keeps version and updated_at too (a pair "left
 * exactly as it is"), otherwise they are left out (a pair "put back": the version moves on).
 */
export async function imagesOf(c: pg.Client, pairs: PairKey[], opts: { exact?: boolean } = {}) {
  const extra = opts.exact ? ', version, updated_at' : '';
  const users = pairs.map((p) => p.userId);
  const specs = pairs.map((p) => p.spec);
  const keys = `(user_id, specialization_id) IN (SELECT * FROM unnest($1::int[], $2::text[]))`;
  const p = await c.query(
    `SELECT user_id, specialization_id, current_level, total_xp, completed_sessions, created_at${extra}
     FROM specialization_progress WHERE ${keys}`,
    [users, specs],
  );
  const l = await c.query(
    `SELECT user_id, specialization_id, current_level, started_at, last_advanced_at, created_at${extra}
     FROM user_licenses WHERE ${keys}`,
    [users, specs],
  );
  const out = new Map<string, { progress: Record<string, unknown> | null; license: Record<string, unknown> | null }>();
  for (const k of pairs) out.set(keyOf(k.userId, k.spec), { progress: null, license: null });
  for (const r of p.rows) out.get(keyOf(r.user_id, r.specialization_id))!.progress = r;
  for (const r of l.rows) out.get(keyOf(r.user_id, r.specialization_id))!.license = r;
  return out;
}

/** A job's row as the database has it. */
export async function jobRow(c: pg.Client, id: number) {
  const { rows } = await c.query(`SELECT * FROM sync_jobs WHERE id = $1`, [id]);
  return rows[0] as Record<string, unknown> & { status: string; done: number; total: number; synced: number };
}

/** A job's items: pair key -> outcome (and the items themselves, in order). */
export async function itemsOf(c: pg.Client, jobId: number) {
  const { rows } = await c.query(
    `SELECT user_id, specialization_id AS spec, kind::text AS kind, outcome::text AS outcome, before, after, error,
            progress_version, license_version
     FROM sync_job_items WHERE job_id = $1 ORDER BY id`,
    [jobId],
  );
  return rows as {
    user_id: number;
    spec: string;
    kind: string;
    outcome: string;
    before: Record<string, unknown>;
    after: Record<string, unknown> | null;
    error: string | null;
    progress_version: number | null;
    license_version: number | null;
  }[];
}

export async function countRows(c: pg.Client, table: 'sync_jobs' | 'sync_job_items' | 'audit_events'): Promise<number> {
  return (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}
