import type pg from 'pg';
import { fmtMs } from './stats';
import { setNoteTriggers } from './triggers';

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

/**
 * How learner g's id is laid out: dense (id = g, the default) or with gaps, learners in runs of
 * `run` consecutive ids each followed by `gap` unused ids (id = g + floor((g - 1) / run) * gap).
 * The desync mix and the specializations stay keyed by g, so a data set with gaps has the same
 * desyncs as the dense one. Used to measure the full audit's paths for gaps in the ids.
 */
export interface IdLayout {
  run: number;
  gap: number;
}

/** The SQL of learner `g`'s id (an int expression of `g`) under `layout`. */
export function idSql(g: string, layout?: IdLayout): string {
  return layout ? `(${g} + ((${g} - 1) / ${layout.run}) * ${layout.gap})` : g;
}

/** Learner g's id under `layout`. */
export function idOf(g: number, layout?: IdLayout): number {
  return layout ? g + Math.floor((g - 1) / layout.run) * layout.gap : g;
}

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
export async function buildDataset(
  c: pg.Client,
  pairs: number,
  log: (m: string) => void = () => {},
  opts: { layout?: IdLayout } = {},
): Promise<void> {
  const s = stride(pairs);
  const id = (g: string) => idSql(g, opts.layout);
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
         SELECT ${id('g')}, 'learner' || g || '@bench.test', 'Bench Learner ' || g, 'STUDENT', now() - interval '400 days'
         FROM generate_series($1::int, $2::int) AS g`,
        [lo, hi],
      );
      await c.query(
        `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions,
                                              created_at, updated_at)
         SELECT ${id('t.g')}, t.spec, t.lvl, r.xp_required + t.g % 997, r.sessions_required + t.g % 3,
                now() - interval '300 days', now() - interval '30 days'
         FROM (${PAIRS_SQL}) t JOIN level_requirements r ON r.specialization_id = t.spec AND r.level = t.lvl
         WHERE t.g % $3::int <> 17`,
        [lo, hi, 1000 * s],
      );
      await c.query(
        `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, created_at, updated_at)
         SELECT ${id('t.g')}, t.spec,
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
  await c.query(`SELECT setval(pg_get_serial_sequence('users', 'id'), $1::int)`, [idOf(pairs, opts.layout)]);
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

/** The application_name of the churn's writes: the judge records them as the writer sql:bench-legacy. */
const CHURN_WRITER = 'bench-legacy';

/** SQL of learner g's specialization (the same rule as PAIRS_SQL). */
const SPEC_OF_G = (g: string) => `(ARRAY['PLAYER', 'PLAYER', 'COACH', 'INTERNSHIP'])[1 + ${g} % 4]`;

export interface Churn {
  /** Whether the note triggers saw the churn (false: they were off, as for a writer that bypasses them). */
  judged: boolean;
  /** Consistent pairs made level mismatches. */
  broke: number;
  /** Desyncs of the set repaired, by kind. */
  healed: { LEVEL_MISMATCH: number; MISSING_LICENSE: number; MISSING_PROGRESS: number };
  /** Desynced pairs in the tables after the churn (judged: the entries of current_desyncs after its commit). */
  desyncs: number;
}

/**
 * Churn between two measurements, as a legacy writer's raw SQL would make it, in one transaction:
 * about `share` of the pairs change, half of them desyncs of the set healed at random (a license
 * moved to the progress level, a missing license or progress created), capped at half of the set,
 * the rest consistent pairs picked at random broken (the license one level off, as the data set's
 * own mismatches). Judged at commit by default; with `judged: false` the note triggers are off
 * for it (as for a writer that bypasses them), so the set no longer matches the tables until a
 * full audit re-judges the difference. The set must match the tables when it is called. Works on
 * the dense layout; undoChurn puts the data set back as built.
 */
export async function churnPairs(c: pg.Client, pairs: number, opts: { share?: number; judged?: boolean } = {}): Promise<Churn> {
  const judged = opts.judged ?? true;
  const budget = Math.max(2, Math.round(pairs * (opts.share ?? 0.01)));
  const { rows: set } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM current_desyncs`);
  const heal = Math.min(Math.floor(budget / 2), Math.floor(set[0]!.n / 2));
  const picks = new Set<number>();
  for (let tries = 0; picks.size < budget - heal && tries < budget * 20; tries++) {
    const g = 1 + Math.floor(Math.random() * pairs);
    if (isConsistent(g, pairs)) picks.add(g);
  }
  if (!judged) await setNoteTriggers(c, false);
  try {
    const w = await writeChurn(c, heal, [...picks]);
    const healed = w.healed.LEVEL_MISMATCH + w.healed.MISSING_LICENSE + w.healed.MISSING_PROGRESS;
    const { rows: after } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM current_desyncs`);
    return { judged, ...w, desyncs: judged ? after[0]!.n : set[0]!.n - healed + w.broke };
  } finally {
    if (!judged) await setNoteTriggers(c, true);
  }
}

async function writeChurn(c: pg.Client, heal: number, picks: number[]): Promise<Omit<Churn, 'judged' | 'desyncs'>> {
  await c.query('BEGIN');
  try {
    await c.query(`SET LOCAL application_name = '${CHURN_WRITER}'`);
    const { rows: chosen } = await c.query<{ user_id: number; spec: string; kind: string }>(
      `SELECT user_id, specialization_id AS spec, kind::text FROM current_desyncs
       WHERE kind IN ('LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS') ORDER BY random() LIMIT $1`,
      [heal],
    );
    const of = (kind: string) => {
      const r = chosen.filter((x) => x.kind === kind);
      return [r.map((x) => x.user_id), r.map((x) => x.spec)];
    };
    const mismatch = await c.query(
      `UPDATE user_licenses l SET current_level = p.current_level
       FROM unnest($1::int[], $2::text[]) AS t(u, s) JOIN specialization_progress p ON p.user_id = t.u AND p.specialization_id = t.s
       WHERE l.user_id = t.u AND l.specialization_id = t.s AND l.current_level <> p.current_level`,
      of('LEVEL_MISMATCH'),
    );
    const license = await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       SELECT p.user_id, p.specialization_id, p.current_level, now() - interval '300 days'
       FROM unnest($1::int[], $2::text[]) AS t(u, s) JOIN specialization_progress p ON p.user_id = t.u AND p.specialization_id = t.s
       ON CONFLICT DO NOTHING`,
      of('MISSING_LICENSE'),
    );
    const progress = await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       SELECT l.user_id, l.specialization_id, l.current_level, r.xp_required, r.sessions_required
       FROM unnest($1::int[], $2::text[]) AS t(u, s) JOIN user_licenses l ON l.user_id = t.u AND l.specialization_id = t.s
       JOIN level_requirements r ON r.specialization_id = l.specialization_id AND r.level = l.current_level
       ON CONFLICT DO NOTHING`,
      of('MISSING_PROGRESS'),
    );
    const broke = await c.query(
      `UPDATE user_licenses l SET current_level = CASE WHEN p.current_level = 1 THEN 2 ELSE p.current_level - 1 END
       FROM unnest($1::int[]) AS t(g) JOIN specialization_progress p ON p.user_id = t.g AND p.specialization_id = ${SPEC_OF_G('t.g')}
       WHERE l.user_id = t.g AND l.specialization_id = p.specialization_id AND l.current_level = p.current_level`,
      [picks],
    );
    await c.query('COMMIT');
    return {
      broke: broke.rowCount ?? 0,
      healed: { LEVEL_MISMATCH: mismatch.rowCount ?? 0, MISSING_LICENSE: license.rowCount ?? 0, MISSING_PROGRESS: progress.rowCount ?? 0 },
    };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * Puts the data set back as built after churnPairs (not timed; the set must match the tables): the
 * level mismatches of learners the data set has consistent are healed (found through the set), then
 * reinjectDesyncs puts back the data set's own desyncs the churn healed.
 */
export async function undoChurn(c: pg.Client, pairs: number): Promise<void> {
  const s = stride(pairs);
  await c.query('BEGIN');
  try {
    await c.query(`SET LOCAL application_name = '${CHURN_WRITER}'`);
    await c.query(
      `UPDATE user_licenses l SET current_level = p.current_level
       FROM current_desyncs d JOIN specialization_progress p ON p.user_id = d.user_id AND p.specialization_id = d.specialization_id
       WHERE d.kind = 'LEVEL_MISMATCH' AND d.user_id % $1::int <> 7
         AND l.user_id = d.user_id AND l.specialization_id = d.specialization_id AND l.current_level <> p.current_level`,
      [100 * s],
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
  await reinjectDesyncs(c, pairs);
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
