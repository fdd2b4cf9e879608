import pg from 'pg';
import type { Actor } from '../../lib/sync';

/**
 * The coupled write's yardsticks (figure 3): recordProgress (lib/sync/coupled-writes.ts) is one call
 * of the SQL function sw_record_progress (migration detection_at_commit) through Prisma, after zod
 * validation, inside a retry loop. Each yardstick does the same write, called on a pg.Pool of 16:
 *   (a) FUNCTION_CALL_SQL: raw pg calling the same function with the same arguments as the engine's
 *       statement, prepared (named): what Prisma, validation and retries cost;
 *   (b) the function's work written by hand in one round trip, in two forms, the better of which
 *       counts in each run: ONE_TRIP_SQL, one prepared statement (CTEs); or oneTripString, one
 *       simple-query string of two prepared statements (PAIR_LOCK_SQL, then ONE_TRIP_WRITE_SQL),
 *       whose write sees what the previous holder of the pair lock committed. Same rows, same
 *       audit event, same pair events at commit as the function (checked case by case);
 *   (c) COUPLED_INTERACTIVE_SQL: the former yardstick, an interactive transaction of six round
 *       trips that also rewrites the license row and writes no audit event (informational).
 * All of them run with the note triggers on: their writes are judged at commit like any other.
 */

/** The coupled write's input, as recordProgress takes it. */
export interface ProgressInput {
  xpGained: number;
  sessionsCompleted: number;
}

/** A row of what sw_record_progress returns (ONE_TRIP_SQL and FIRST_WRITE_SQL return the same columns). */
type RecordProgressRow = pg.QueryResultRow;

/**
 * (a) The engine's own statement (lib/sync/coupled-writes.ts#recordProgress), parameters in the same
 * order: learner, specialization, XP, sessions, expected version, actor label, actor's user id, source.
 */
export const FUNCTION_CALL_SQL = `
  SELECT * FROM sw_record_progress($1::int, $2::text, $3::int, $4::int, $5::int, $6::text, $7::int, $8::"AuditSource")`;

/** sw_record_progress by raw pg: the same statement and arguments as recordProgress, no validation, no retry. */
export async function recordProgressByFunction(
  pool: pg.Pool,
  userId: number,
  specializationId: string,
  input: ProgressInput & { expectedVersion?: number },
  actor: Actor,
): Promise<RecordProgressRow> {
  const { rows } = await pool.query<RecordProgressRow>({
    name: 'bench-record-progress-function',
    text: FUNCTION_CALL_SQL,
    values: [
      userId,
      specializationId,
      input.xpGained,
      input.sessionsCompleted,
      input.expectedVersion ?? null,
      actor.label,
      actor.userId ?? null,
      actor.source,
    ],
  });
  return rows[0]!;
}

/**
 * The writer's name for the judge at commit and the pair's advisory lock, which sw_record_progress
 * takes first (sw_set_writer inlined). Every (b) statement has the same parameters: $1 learner,
 * $2 specialization, $3 XP, $4 sessions, $5 actor label, $6 actor's user id, $7 source.
 */
export const PAIR_LOCK_SQL = `
  SELECT set_config('syncwatch.writer', CASE WHEN $7::"AuditSource" = 'API' THEN 'api:' || $5::text ELSE $5::text END, true),
         set_config('syncwatch.writer_kind', $7::text, true),
         pg_advisory_xact_lock(hashtext('sw-pair:' || $2::text), $1::int)`;

/** The (b) parameters' types, for PREPARE. */
const PARAM_TYPES = '(int, text, int, int, text, int, "AuditSource")';

/** The highest level whose XP and sessions `xp` and `sessions` both meet (the rule of level-rules.ts#levelEarned). */
const earned = (xp: string, sessions: string) => `(
  SELECT coalesce(max(r.level), 1) FROM level_requirements r
  WHERE r.specialization_id = $2::text
    AND r.xp_required <= ${xp}::bigint + $3::int AND r.sessions_required <= ${sessions}::bigint + $4::int)`;

/** The audit event sw_record_progress writes; `p` the progress after (with old_* before), `lb` the license before, `la` after. */
const AUDIT_INSERT = `
  INSERT INTO audit_events (actor, actor_user_id, action, source, user_id, specialization_id, before, after)
  SELECT $5::text, $6::int, 'RECORD_PROGRESS', $7::"AuditSource", $1::int, $2::text,
         jsonb_build_object('progressLevel', p.old_level, 'licenseLevel', lb.current_level,
                            'totalXp', p.old_xp, 'completedSessions', p.old_sessions),
         jsonb_build_object('progressLevel', p.current_level, 'licenseLevel', la.current_level,
                            'totalXp', p.total_xp, 'completedSessions', p.completed_sessions,
                            'xpGained', $3::int, 'sessionsCompleted', $4::int)`;

/** The (b) write of a pair whose rows exist; `gate` is a condition evaluated once before the progress row is read. */
const oneTripWrite = (gate: string) => `
  WITH p0 AS MATERIALIZED (
    SELECT p.current_level, p.total_xp, p.completed_sessions FROM specialization_progress p
    WHERE p.user_id = $1::int AND p.specialization_id = $2::text${gate}
    FOR UPDATE
  ), l0 AS MATERIALIZED (
    SELECT l.current_level, l.started_at, l.last_advanced_at, l.version FROM user_licenses l
    WHERE l.user_id = $1::int AND l.specialization_id = $2::text AND EXISTS (SELECT FROM p0)
    FOR UPDATE
  ), pu AS (
    UPDATE specialization_progress p
    SET total_xp = p0.total_xp + $3::int, completed_sessions = p0.completed_sessions + $4::int,
        current_level = greatest(p0.current_level, ${earned('p0.total_xp', 'p0.completed_sessions')})
    FROM p0, l0
    WHERE p.user_id = $1::int AND p.specialization_id = $2::text
    RETURNING p0.current_level AS old_level, p0.total_xp AS old_xp, p0.completed_sessions AS old_sessions,
              p.current_level, p.total_xp, p.completed_sessions, p.version
  ), lu AS (
    UPDATE user_licenses l SET current_level = pu.current_level, last_advanced_at = greatest(now(), l.started_at)
    FROM pu
    WHERE l.user_id = $1::int AND l.specialization_id = $2::text AND (SELECT l0.current_level <> pu.current_level FROM l0, pu)
    RETURNING l.current_level, l.started_at, l.last_advanced_at, l.version
  ), la AS (
    SELECT * FROM lu UNION ALL SELECT * FROM l0 WHERE NOT EXISTS (SELECT FROM lu)
  ), audit AS (${AUDIT_INSERT}
    FROM pu p, l0 lb, la
  )
  SELECT p.current_level AS progress_level, p.total_xp, p.completed_sessions, p.version AS progress_version,
         la.current_level AS license_level, la.started_at AS license_started_at, la.last_advanced_at AS license_last_advanced_at,
         la.version AS license_version
  FROM pu p, la`;

/**
 * (b) sw_record_progress's work as ONE prepared statement, for a pair whose two rows exist (every
 * pair of the benchmark's load): PAIR_LOCK_SQL (an InitPlan, so first), the progress row locked
 * FOR UPDATE, then the license row (the function's lock order), progress updated (XP, sessions,
 * level raised as far as the requirements allow), the license updated only when its level
 * changes, one RECORD_PROGRESS audit event with the same before and after images; returns the
 * function's columns. Its snapshot predates its lock wait: a row another writer changed meanwhile
 * is read at its latest version when locked (READ COMMITTED re-checks it), which costs on a hot
 * pair (see ONE_TRIP_WRITE_SQL). The before image comes from that lock, not from UPDATE ...
 * RETURNING old.*, which on PostgreSQL 18.4, on a table with a BEFORE UPDATE row trigger
 * (touch_pair_row), returns the snapshot's version when a concurrent update was re-checked (seen:
 * old 0, new 101 after another session's +100). When either row is missing it writes nothing and
 * returns no row: FIRST_WRITE_SQL.
 */
export const ONE_TRIP_SQL = oneTripWrite(` AND (SELECT true FROM (${PAIR_LOCK_SQL}) w)`);

/**
 * (b), second form: one simple-query string of two statements, run as one implicit transaction:
 * `EXECUTE bench_pair_lock(...); EXECUTE bench_one_trip_write(...)`, PAIR_LOCK_SQL then this
 * write, both prepared once per connection (ONE_TRIP_PREPARE_SQL), the values as literals. The
 * write's snapshot is taken after the lock, as in the function, so a hot pair's row is read as the
 * previous writer committed it; a little more work per call than ONE_TRIP_SQL on spread pairs.
 */
export const ONE_TRIP_WRITE_SQL = oneTripWrite('');

export const ONE_TRIP_PREPARE_SQL = [
  `PREPARE bench_pair_lock ${PARAM_TYPES} AS ${PAIR_LOCK_SQL}`,
  `PREPARE bench_one_trip_write ${PARAM_TYPES} AS ${ONE_TRIP_WRITE_SQL}`,
] as const;

/** The (b) parameters as SQL literals, for the simple-query string. */
function literals(values: (number | string | null)[]): string {
  return values
    .map((v) => {
      if (v === null) return 'NULL';
      if (typeof v === 'string') return pg.escapeLiteral(v);
      if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
      return String(v);
    })
    .join(', ');
}

/** The simple-query string of the second form for these (b) parameters. */
export function oneTripString(values: (number | string | null)[]): string {
  const args = literals(values);
  return `EXECUTE bench_pair_lock(${args}); EXECUTE bench_one_trip_write(${args})`;
}

/**
 * (b) for a pair missing a row (a learner's first write of a specialization; never in the
 * benchmark's load): the same work in one statement that also inserts the missing rows as
 * sw_record_progress does (progress from the license level's minimum, a license at the new level).
 * Its snapshot predates the pair lock, so a row another first write inserted meanwhile is not seen
 * and the insert fails on the primary key; the caller retries (as recordProgress's withRetry does).
 * Same parameters as ONE_TRIP_SQL.
 */
export const FIRST_WRITE_SQL = `
  WITH p0 AS MATERIALIZED (
    SELECT p.current_level, p.total_xp, p.completed_sessions FROM specialization_progress p
    WHERE p.user_id = $1::int AND p.specialization_id = $2::text AND (SELECT true FROM (${PAIR_LOCK_SQL}) w)
    FOR UPDATE
  ), l0 AS MATERIALIZED (
    SELECT l.current_level, l.started_at, l.last_advanced_at, l.version FROM user_licenses l
    WHERE l.user_id = $1::int AND l.specialization_id = $2::text AND (SELECT count(*) FROM p0) >= 0
    FOR UPDATE
  ), pu AS (
    UPDATE specialization_progress p
    SET total_xp = p0.total_xp + $3::int, completed_sessions = p0.completed_sessions + $4::int,
        current_level = greatest(p0.current_level, ${earned('p0.total_xp', 'p0.completed_sessions')})
    FROM p0
    WHERE p.user_id = $1::int AND p.specialization_id = $2::text
    RETURNING p0.current_level AS old_level, p0.total_xp AS old_xp, p0.completed_sessions AS old_sessions,
              p.current_level, p.total_xp, p.completed_sessions, p.version
  ), base AS (
    SELECT coalesce(r.level, 1) AS lvl, coalesce(r.xp_required, 0) AS xp, coalesce(r.sessions_required, 0) AS se
    FROM (SELECT) one LEFT JOIN l0 ON true LEFT JOIN level_requirements r ON r.specialization_id = $2::text AND r.level = l0.current_level
  ), pi AS (
    INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
    SELECT $1::int, $2::text, greatest(b.lvl, ${earned('b.xp', 'b.se')}), b.xp + $3::int, b.se + $4::int
    FROM base b WHERE NOT EXISTS (SELECT FROM p0)
    RETURNING NULL::int AS old_level, NULL::int AS old_xp, NULL::int AS old_sessions, current_level, total_xp, completed_sessions, version
  ), p AS (
    SELECT * FROM pu UNION ALL SELECT * FROM pi
  ), lu AS (
    UPDATE user_licenses l SET current_level = p.current_level, last_advanced_at = greatest(now(), l.started_at)
    FROM p, l0
    WHERE l.user_id = $1::int AND l.specialization_id = $2::text AND l0.current_level <> p.current_level
    RETURNING l.current_level, l.started_at, l.last_advanced_at, l.version
  ), li AS (
    INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
    SELECT $1::int, $2::text, p.current_level, now() FROM p WHERE NOT EXISTS (SELECT FROM l0)
    RETURNING current_level, started_at, last_advanced_at, version
  ), la AS (
    SELECT * FROM lu UNION ALL SELECT * FROM li UNION ALL SELECT * FROM l0 WHERE NOT EXISTS (SELECT FROM lu)
  ), audit AS (${AUDIT_INSERT}
    FROM p CROSS JOIN la LEFT JOIN l0 lb ON true
  )
  SELECT p.current_level AS progress_level, p.total_xp, p.completed_sessions, p.version AS progress_version,
         la.current_level AS license_level, la.started_at AS license_started_at, la.last_advanced_at AS license_last_advanced_at,
         la.version AS license_version
  FROM p, la`;

/** How often a first write is retried after losing the race for a missing row (recordProgress: 8 attempts). */
const FIRST_WRITE_ATTEMPTS = 8;

/** The two forms of (b): ONE_TRIP_SQL, or the simple-query string of ONE_TRIP_WRITE_SQL. */
export type OneTripForm = 'statement' | 'string';

/** Connections where ONE_TRIP_PREPARE_SQL has run. */
const prepared = new WeakSet<pg.PoolClient>();

/** The second form's one round trip: the write's rows, none when a row of the pair is missing. */
async function viaString(pool: pg.Pool, values: (number | string | null)[]): Promise<RecordProgressRow[]> {
  const c = await pool.connect();
  try {
    if (!prepared.has(c)) {
      for (const sql of ONE_TRIP_PREPARE_SQL) await c.query(sql);
      prepared.add(c);
    }
    const results = (await c.query(oneTripString(values))) as unknown as pg.QueryResult<RecordProgressRow>[];
    return results[1]!.rows;
  } finally {
    c.release();
  }
}

/** (b) One round trip in either form; a pair missing a row takes FIRST_WRITE_SQL instead. */
export async function recordProgressInOneTrip(
  pool: pg.Pool,
  form: OneTripForm,
  userId: number,
  specializationId: string,
  input: ProgressInput,
  actor: Actor,
): Promise<RecordProgressRow> {
  const values = [userId, specializationId, input.xpGained, input.sessionsCompleted, actor.label, actor.userId ?? null, actor.source];
  for (let attempt = 1; ; attempt++) {
    const rows =
      form === 'string'
        ? await viaString(pool, values)
        : (await pool.query<RecordProgressRow>({ name: 'bench-record-progress-one-trip', text: ONE_TRIP_SQL, values })).rows;
    if (rows.length) return rows[0]!;
    try {
      const first = await pool.query<RecordProgressRow>({ name: 'bench-record-progress-first-write', text: FIRST_WRITE_SQL, values });
      return first.rows[0]!;
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || attempt >= FIRST_WRITE_ATTEMPTS) throw err;
    }
  }
}

/** (c) The former yardstick's statements, in order, between BEGIN and COMMIT ($1 learner, $2 specialization). */
export const COUPLED_INTERACTIVE_SQL = [
  'SELECT total_xp FROM specialization_progress WHERE user_id = $1 AND specialization_id = $2 FOR UPDATE',
  'SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_id = $2 FOR UPDATE',
  'UPDATE specialization_progress SET total_xp = total_xp + 1 WHERE user_id = $1 AND specialization_id = $2',
  'UPDATE user_licenses SET current_level = current_level WHERE user_id = $1 AND specialization_id = $2',
] as const;

/**
 * (c) The coupled write by hand as an interactive transaction: lock progress then license, update
 * both, commit. Six round trips on one pooled connection, as an application without a server-side
 * function would do; it rewrites the license row (a new version) and writes no audit event, so it
 * does not do the same work as the others: informational, kept beside earlier results.
 */
export async function coupledUpdateByHand(pool: pg.Pool, userId: number, specializationId: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    for (const sql of COUPLED_INTERACTIVE_SQL) await c.query(sql, [userId, specializationId]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}
