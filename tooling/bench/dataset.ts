import type pg from 'pg';

/**
 * The benchmark's data set, built set-based in PostgreSQL (generate_series, no row-by-row
 * inserts): one pair per learner, spread over the three specializations, every progress row at
 * its level's minimum plus a little, and a known mix of desyncs:
 *   1% level mismatch (g % 100 = 7), 0.1% progress without license (g % 1000 = 13),
 *   0.1% license without progress (g % 1000 = 17).
 */

export const MIX = {
  LEVEL_MISMATCH: (g: number) => g % 100 === 7,
  MISSING_LICENSE: (g: number) => g % 1000 === 13,
  MISSING_PROGRESS: (g: number) => g % 1000 === 17,
};

export function expectedDesyncs(pairs: number) {
  let mismatch = 0,
    noLicense = 0,
    noProgress = 0;
  for (let g = 1; g <= pairs; g++) {
    if (MIX.MISSING_LICENSE(g)) noLicense++;
    else if (MIX.MISSING_PROGRESS(g)) noProgress++;
    else if (MIX.LEVEL_MISMATCH(g)) mismatch++;
  }
  return { LEVEL_MISMATCH: mismatch, MISSING_LICENSE: noLicense, MISSING_PROGRESS: noProgress };
}

/** The specialization of learner g's pair (the same rule as PAIRS_SQL). */
export function specOf(g: number): string {
  return (['PLAYER', 'PLAYER', 'COACH', 'INTERNSHIP'] as const)[g % 4]!;
}

const PAIRS_SQL = `
  SELECT g,
         s.id AS spec,
         1 + (hashint4(g) & 2147483647) % s.max_level AS lvl
  FROM generate_series(1, $1::int) AS g
  JOIN specializations s ON s.id = (ARRAY['PLAYER', 'PLAYER', 'COACH', 'INTERNSHIP'])[1 + g % 4]`;

export async function buildDataset(c: pg.Client, pairs: number): Promise<void> {
  await c.query('BEGIN');
  await c.query(
    `TRUNCATE current_desyncs, health_checks, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses, users
     RESTART IDENTITY CASCADE`,
  );
  await c.query(`SET LOCAL synchronous_commit = off`);
  await c.query(
    `INSERT INTO users (id, email, name, role, created_at)
     SELECT g, 'learner' || g || '@bench.test', 'Bench Learner ' || g, 'STUDENT', now() - interval '400 days'
     FROM generate_series(1, $1::int) AS g`,
    [pairs],
  );
  await c.query(`SELECT setval(pg_get_serial_sequence('users', 'id'), $1::int)`, [pairs]);
  await c.query(
    `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions, created_at, updated_at)
     SELECT t.g, t.spec, t.lvl, r.xp_required + t.g % 997, r.sessions_required + t.g % 3,
            now() - interval '300 days', now() - interval '30 days'
     FROM (${PAIRS_SQL}) t JOIN level_requirements r ON r.specialization_id = t.spec AND r.level = t.lvl
     WHERE t.g % 1000 <> 17`,
    [pairs],
  );
  await c.query(
    `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, created_at, updated_at)
     SELECT t.g, t.spec,
            CASE WHEN t.g % 100 = 7 THEN CASE WHEN t.lvl = 1 THEN 2 ELSE t.lvl - 1 END ELSE t.lvl END,
            now() - interval '300 days', now() - interval '300 days', now() - interval '30 days'
     FROM (${PAIRS_SQL}) t
     WHERE t.g % 1000 <> 13`,
    [pairs],
  );
  await c.query('COMMIT');
  await c.query('VACUUM ANALYZE users, specialization_progress, user_licenses');
}

/** Puts back the data set's desyncs after a repair (not timed): the same rows as the build. */
export async function reinjectDesyncs(c: pg.Client, pairs: number): Promise<void> {
  await c.query('BEGIN');
  await c.query(
    `UPDATE user_licenses l SET current_level = CASE WHEN t.lvl = 1 THEN 2 ELSE t.lvl - 1 END
     FROM (${PAIRS_SQL}) t WHERE t.g % 100 = 7 AND t.g % 1000 NOT IN (13, 17) AND l.user_id = t.g AND l.specialization_id = t.spec`,
    [pairs],
  );
  await c.query(`DELETE FROM user_licenses WHERE user_id % 1000 = 13 AND user_id <= $1`, [pairs]);
  await c.query(`DELETE FROM specialization_progress WHERE user_id % 1000 = 17 AND user_id <= $1`, [pairs]);
  await c.query('COMMIT');
}
