import type pg from 'pg';

/**
 * The benchmark's yardsticks: the same work as the engine, written as the minimal hand-made SQL
 * a DBA would run, with none of the engine's duties (snapshots, job records, audit events,
 * orphan detection). The engine's figure divided by these is what the targets bound.
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
