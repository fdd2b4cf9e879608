import type pg from 'pg';
import { fmtMs } from './stats';

/**
 * The benchmark's data set, built set-based in PostgreSQL (generate_series, no row-by-row
 * inserts): one pair per learner, spread over the three specializations, every progress row at
 * its level's minimum plus a little, and a known mix of desyncs. Up to 1,000,000 pairs:
 *   1% level mismatch (g % 100 = 7), 0.1% progress without license (g % 1000 = 13),
 *   0.1% license without progress (g % 1000 = 17),
 * so 12,000 desyncs at 1M. Above 1M the moduli grow with the size (x10 at 10M) so that the data
 * set keeps 12,000 desyncs: the figures that should not grow with the pairs (the sync job, the
 * health figures) are then compared at 1M and 10M on the same work.
 */

/** How much sparser the desyncs are than at 1M pairs (1 up to 1M). */
export function stride(pairs: number): number {
  return Math.max(1, Math.round(pairs / 1_000_000));
}

export function mixOf(pairs: number) {
  const s = stride(pairs);
  return {
    LEVEL_MISMATCH: (g: number) => g % (100 * s) === 7,
    MISSING_LICENSE: (g: number) => g % (1000 * s) === 13,
    MISSING_PROGRESS: (g: number) => g % (1000 * s) === 17,
  };
}

/** Whether learner g's pair is consistent in the data set as built. */
export function isConsistent(g: number, pairs: number): boolean {
  const m = mixOf(pairs);
  return !m.LEVEL_MISMATCH(g) && !m.MISSING_LICENSE(g) && !m.MISSING_PROGRESS(g);
}

export function expectedDesyncs(pairs: number) {
  const m = mixOf(pairs);
  let mismatch = 0,
    noLicense = 0,
    noProgress = 0;
  for (let g = 1; g <= pairs; g++) {
    if (m.MISSING_LICENSE(g)) noLicense++;
    else if (m.MISSING_PROGRESS(g)) noProgress++;
    else if (m.LEVEL_MISMATCH(g)) mismatch++;
  }
  return { LEVEL_MISMATCH: mismatch, MISSING_LICENSE: noLicense, MISSING_PROGRESS: noProgress };
}

export const totalDesyncs = (pairs: number) => Object.values(expectedDesyncs(pairs)).reduce((a, b) => a + b, 0);

/** The specialization of learner g's pair (the same rule as PAIRS_SQL). */
export function specOf(g: number): string {
  return (['PLAYER', 'PLAYER', 'COACH', 'INTERNSHIP'] as const)[g % 4]!;
}

/** Learners $1..$2 (a chunk), their specialization and progress level. */
const PAIRS_SQL = `
  SELECT g,
         s.id AS spec,
         1 + (hashint4(g) & 2147483647) % s.max_level AS lvl
  FROM generate_series($1::int, $2::int) AS g
  JOIN specializations s ON s.id = (ARRAY['PLAYER', 'PLAYER', 'COACH', 'INTERNSHIP'])[1 + g % 4]`;

/** Learners per build statement: the unit of the progress lines and of the estimate. */
const CHUNK = 1_000_000;

/**
 * Builds the data set, then brings the detection state (the desync set, its counters, the
 * progress-row counters) to what the triggers would have made of it: the rows are written with
 * session_replication_role = replica, so neither the note triggers (which would note and judge
 * every pair at commit: 10M pair events) nor the foreign keys run, since the rows are valid by
 * construction (the suite's full audit afterwards checks it: its drift must be 0). Falls back to
 * the plain path, triggers on, where the role cannot be set (not a superuser).
 */
export async function buildDataset(c: pg.Client, pairs: number, log: (m: string) => void = () => {}): Promise<void> {
  const s = stride(pairs);
  await c.query(
    `TRUNCATE current_desyncs, health_checks, sync_job_items, sync_jobs, audit_events, pair_events, sw_pending, sw_pending_tx,
              sw_count_deltas, specialization_progress, user_licenses, users
     RESTART IDENTITY CASCADE`,
  );
  const replica = await c.query(`SET session_replication_role = replica`).then(
    () => true,
    () => false,
  );
  const started = performance.now();
  try {
    for (let lo = 1; lo <= pairs; lo += CHUNK) {
      const hi = Math.min(pairs, lo + CHUNK - 1);
      await c.query('BEGIN');
      await c.query(`SET LOCAL synchronous_commit = off`);
      await c.query(
        `INSERT INTO users (id, email, name, role, created_at)
         SELECT g, 'learner' || g || '@bench.test', 'Bench Learner ' || g, 'STUDENT', now() - interval '400 days'
         FROM generate_series($1::int, $2::int) AS g`,
        [lo, hi],
      );
      await c.query(
        `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions,
                                              created_at, updated_at)
         SELECT t.g, t.spec, t.lvl, r.xp_required + t.g % 997, r.sessions_required + t.g % 3,
                now() - interval '300 days', now() - interval '30 days'
         FROM (${PAIRS_SQL}) t JOIN level_requirements r ON r.specialization_id = t.spec AND r.level = t.lvl
         WHERE t.g % $3::int <> 17`,
        [lo, hi, 1000 * s],
      );
      await c.query(
        `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, created_at, updated_at)
         SELECT t.g, t.spec,
                CASE WHEN t.g % $4::int = 7 THEN CASE WHEN t.lvl = 1 THEN 2 ELSE t.lvl - 1 END ELSE t.lvl END,
                now() - interval '300 days', now() - interval '300 days', now() - interval '30 days'
         FROM (${PAIRS_SQL}) t
         WHERE t.g % $3::int <> 13`,
        [lo, hi, 1000 * s, 100 * s],
      );
      await c.query('COMMIT');
      if (pairs > CHUNK) {
        const ms = performance.now() - started;
        const left = (ms / hi) * (pairs - hi);
        log(`  ${hi.toLocaleString('en-US')} / ${pairs.toLocaleString('en-US')} learners in ${fmtMs(ms)}; rows left: ~${fmtMs(left)}`);
      }
    }
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    if (replica) await c.query(`RESET session_replication_role`);
  }
  await c.query(`SELECT setval(pg_get_serial_sequence('users', 'id'), $1::int)`, [pairs]);
  if (replica) await noteBuiltState(c);
  const vacuum = performance.now();
  await c.query('VACUUM ANALYZE users, specialization_progress, user_licenses');
  if (pairs > CHUNK) log(`  VACUUM ANALYZE in ${fmtMs(performance.now() - vacuum)}`);
}

/**
 * What the triggers would have kept, set-based: the progress rows per specialization, and the
 * desyncs (found by one FULL JOIN) judged by the judge itself (sw_judge_pairs), which writes the
 * set, its counters and their pair events. Clears the audit request of the TRUNCATE.
 */
async function noteBuiltState(c: pg.Client): Promise<void> {
  await c.query('BEGIN');
  await c.query(
    `INSERT INTO sw_count_deltas (scope, key, n)
     SELECT 'progress_rows', specialization_id, count(*) FROM specialization_progress GROUP BY specialization_id`,
  );
  await c.query(
    `SELECT (sw_judge_pairs(array_agg(d.u), array_agg(d.s), NULL, 'bench', 'AUDIT')).changed
     FROM (SELECT coalesce(p.user_id, l.user_id) AS u, coalesce(p.specialization_id, l.specialization_id) AS s
           FROM specialization_progress p
           FULL JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
           WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level) d`,
  );
  await c.query(`UPDATE sw_state SET audit_requested_at = NULL, audit_request_reason = NULL WHERE id = 1`);
  await c.query('COMMIT');
}

/** The data set's desynced learners of one kind: g = offset, offset + modulus, ... <= pairs. */
const DESYNCED_SQL = `
  SELECT g, (ARRAY['PLAYER', 'PLAYER', 'COACH', 'INTERNSHIP'])[1 + g % 4] AS spec
  FROM generate_series($1::int, $2::int, $3::int) AS g`;

/**
 * Puts back the data set's desyncs after a repair (not timed): the same rows as the build,
 * written with the triggers on (the judge records them at commit). Only the desynced learners
 * are visited, so it costs the same at 10M pairs as at 1M.
 */
export async function reinjectDesyncs(c: pg.Client, pairs: number): Promise<void> {
  const s = stride(pairs);
  await c.query('BEGIN');
  try {
    await c.query(
      `UPDATE user_licenses l SET current_level = CASE WHEN p.current_level = 1 THEN 2 ELSE p.current_level - 1 END
       FROM (${DESYNCED_SQL}) t JOIN specialization_progress p ON p.user_id = t.g AND p.specialization_id = t.spec
       WHERE t.g % $4::int NOT IN (13, 17) AND l.user_id = t.g AND l.specialization_id = t.spec
         AND l.current_level = p.current_level`,
      [7, pairs, 100 * s, 1000 * s],
    );
    await c.query(`DELETE FROM user_licenses l USING (${DESYNCED_SQL}) t WHERE l.user_id = t.g AND l.specialization_id = t.spec`, [
      13,
      pairs,
      1000 * s,
    ]);
    await c.query(
      `DELETE FROM specialization_progress p USING (${DESYNCED_SQL}) t WHERE p.user_id = t.g AND p.specialization_id = t.spec`,
      [17, pairs, 1000 * s],
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Desyncs in the tables now (one FULL JOIN of level and presence), and entries in the set. */
export async function desyncState(c: pg.Client): Promise<{ tables: number; set: number }> {
  const { rows } = await c.query<{ tables: number; set: number }>(
    `SELECT (SELECT count(*)::int FROM specialization_progress p
             FULL JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
             WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level) AS tables,
            (SELECT count(*)::int FROM current_desyncs) AS set`,
  );
  return rows[0]!;
}

/**
 * Learners set aside for one measurement each, so that one never meets another's rows: the
 * freshness breaker's pairs, the write-overhead figures' single-row pairs; the concurrent
 * recordProgress load and throughput runs pick at random from LOAD_FROM on.
 */
export const RESERVED = {
  freshness: [2, 999],
  singleRow: [1000, 4999],
} as const;
export const LOAD_FROM = 5000;

/** The consistent learners of a range (as built). */
export function consistentIn([lo, hi]: readonly [number, number], pairs: number): number[] {
  const out: number[] = [];
  for (let g = lo; g <= Math.min(hi, pairs); g++) if (isConsistent(g, pairs)) out.push(g);
  return out;
}

/** A random consistent pair of the load's range: [learner, specialization]. */
export function randomLoadPair(pairs: number): readonly [number, string] {
  for (;;) {
    const g = LOAD_FROM + Math.floor(Math.random() * (pairs - LOAD_FROM + 1));
    if (isConsistent(g, pairs)) return [g, specOf(g)] as const;
  }
}
