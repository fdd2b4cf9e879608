import type pg from 'pg';

/**
 * The benchmark's yardsticks: the same work as the engine, written as the minimal hand-made SQL
 * a DBA would run, with none of the engine's duties (snapshots, job records, audit events,
 * orphan detection). The engine's figure divided by these is what the targets bound. They run
 * with the triggers of the schema on (a repair written by hand is judged at commit like any other).
 */

/** (1) One FULL OUTER JOIN counting the desynced pairs. */
export const FULL_JOIN_COUNT_SQL = `
  SELECT count(*)::int AS n
  FROM specialization_progress p
  FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
  WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level`;

export async function countDesyncsWithFullJoin(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ n: number }>(FULL_JOIN_COUNT_SQL);
  return rows[0]!.n;
}

/**
 * (4) The full audit's two yardsticks, both with the audit's planner settings (jit off, the
 * server's work_mem, which neither sets): `hash`, the count above as PostgreSQL plans it (a
 * parallel hash full join), and `merge`, the same count as a merge full join over the covering
 * indexes of COVERING_INDEXES (hash joins off), one ordered pass over each table. Returns the count.
 */
export async function fullScanCount(c: pg.Client, variant: 'hash' | 'merge'): Promise<number> {
  await c.query('BEGIN');
  try {
    await c.query(`SET LOCAL jit = off`);
    if (variant === 'merge') await c.query(`SET LOCAL enable_hashjoin = off`);
    const { rows } = await c.query<{ n: number }>(FULL_JOIN_COUNT_SQL);
    await c.query('COMMIT');
    return rows[0]!.n;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The plan of a baseline, for the log: its node lines, without costs. */
export async function baselinePlan(c: pg.Client, variant: 'hash' | 'merge'): Promise<string[]> {
  await c.query('BEGIN');
  try {
    await c.query(`SET LOCAL jit = off`);
    if (variant === 'merge') await c.query(`SET LOCAL enable_hashjoin = off`);
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS off) ${FULL_JOIN_COUNT_SQL}`);
    return rows.map((r) => r['QUERY PLAN']);
  } finally {
    await c.query('ROLLBACK').catch(() => {});
  }
}

/** Indexes made for the merge baseline only (dropped after it): every column a pair's verdict reads. */
export const COVERING_INDEXES = [
  `CREATE INDEX IF NOT EXISTS bench_progress_covering ON specialization_progress (user_id, specialization_id)
     INCLUDE (current_level, total_xp, completed_sessions)`,
  `CREATE INDEX IF NOT EXISTS bench_licenses_covering ON user_licenses (user_id, specialization_id) INCLUDE (current_level, started_at)`,
];

export async function createCoveringIndexes(c: pg.Client): Promise<void> {
  for (const sql of COVERING_INDEXES) await c.query(sql);
  // Index-only scans need the visibility map.
  await c.query('VACUUM ANALYZE specialization_progress, user_licenses');
}

export async function dropCoveringIndexes(c: pg.Client): Promise<void> {
  await c.query('DROP INDEX IF EXISTS bench_progress_covering, bench_licenses_covering');
}

/**
 * (2) Every desync repaired set-based, in one transaction: licenses take the progress level,
 * missing licenses are created from progress, missing progress from the license level's minimum.
 * Returns how many rows each statement wrote.
 */
export async function repairSetBased(c: pg.Client): Promise<{ updated: number; licenses: number; progress: number }> {
  await c.query('BEGIN');
  try {
    const updated = await c.query(
      `UPDATE user_licenses l SET current_level = p.current_level, last_advanced_at = greatest(now(), l.started_at)
       FROM specialization_progress p
       WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND p.current_level <> l.current_level`,
    );
    const licenses = await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       SELECT p.user_id, p.specialization_id, p.current_level, now() FROM specialization_progress p
       WHERE NOT EXISTS (SELECT 1 FROM user_licenses l WHERE l.user_id = p.user_id AND l.specialization_id = p.specialization_id)`,
    );
    const progress = await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       SELECT l.user_id, l.specialization_id, l.current_level, r.xp_required, r.sessions_required
       FROM user_licenses l JOIN level_requirements r ON r.specialization_id = l.specialization_id AND r.level = l.current_level
       WHERE NOT EXISTS (SELECT 1 FROM specialization_progress p
                         WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id)`,
    );
    await c.query('COMMIT');
    return { updated: updated.rowCount ?? 0, licenses: licenses.rowCount ?? 0, progress: progress.rowCount ?? 0 };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * (3) The coupled write by hand: lock progress then license, update both, commit. Six round
 * trips on one pooled connection, as an application without a server-side function would do.
 */
export async function coupledUpdateByHand(pool: pg.Pool, userId: number, specializationId: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT total_xp FROM specialization_progress WHERE user_id = $1 AND specialization_id = $2 FOR UPDATE', [
      userId,
      specializationId,
    ]);
    await c.query('SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_id = $2 FOR UPDATE', [
      userId,
      specializationId,
    ]);
    await c.query('UPDATE specialization_progress SET total_xp = total_xp + 1 WHERE user_id = $1 AND specialization_id = $2', [
      userId,
      specializationId,
    ]);
    await c.query('UPDATE user_licenses SET current_level = current_level WHERE user_id = $1 AND specialization_id = $2', [
      userId,
      specializationId,
    ]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}
