import type pg from 'pg';

/**
 * The benchmark's yardsticks: the same work as the engine, written as the minimal hand-made SQL
 * a DBA would run. The full-scan counts do none of the audit's other duties (the stored check,
 * orphan detection); the set-based repair writes the same rows as the sync job (its job row, items
 * and audit events). The engine's figure divided by these is what the targets bound. They run
 * with the triggers of the schema on (a repair written by hand is judged at commit like any other).
 * The coupled write's yardsticks (3) are in baselines-writes.ts.
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
 * The planner settings of the full audit and of its yardsticks, the same explicit values for all:
 * the audit's pass sets jit off itself (lib/sync/audit-pass.ts) and nothing in lib/sync sets
 * work_mem, so the benchmark runs the audit on connections opened with both as options
 * (`auditSettingsUrl`) and every baseline with both as SET LOCAL in its transaction. 4MB is
 * PostgreSQL's default (a bigger work_mem measured slower for the pass: docs/performance.md).
 */
export const AUDIT_SETTINGS = { jit: 'off', work_mem: '4MB' } as const;

/** `url` with AUDIT_SETTINGS as connection options (`-c jit=off -c work_mem=4MB`) for every session it opens. */
export function auditSettingsUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set(
    'options',
    Object.entries(AUDIT_SETTINGS)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' '),
  );
  return u.toString();
}

/** A session's values of the AUDIT_SETTINGS names, e.g. { jit: 'off', work_mem: '4MB' }. */
export async function settingsOf(query: (sql: string) => Promise<{ name: string; setting: string }[]>): Promise<Record<string, string>> {
  const names = Object.keys(AUDIT_SETTINGS).map((k) => `'${k}'`);
  const rows = await query(`SELECT name, current_setting(name) AS setting FROM unnest(ARRAY[${names.join(', ')}]) AS name ORDER BY name`);
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

/** SET LOCAL of AUDIT_SETTINGS, then, for `merge`, hash joins off. */
async function setScanSettings(c: pg.Client, variant: 'hash' | 'merge'): Promise<void> {
  for (const [k, v] of Object.entries(AUDIT_SETTINGS)) await c.query(`SET LOCAL ${k} = '${v}'`);
  if (variant === 'merge') await c.query(`SET LOCAL enable_hashjoin = off`);
}

/**
 * (4) The full audit's two yardsticks, both with AUDIT_SETTINGS (SET LOCAL): `hash`, the count
 * above as PostgreSQL plans it (a parallel hash full join), and `merge`, the same count as a merge
 * full join over the covering indexes of COVERING_INDEXES (hash joins off), one ordered pass over
 * each table. Returns the count.
 */
export async function fullScanCount(c: pg.Client, variant: 'hash' | 'merge'): Promise<number> {
  await c.query('BEGIN');
  try {
    await setScanSettings(c, variant);
    const { rows } = await c.query<{ n: number }>(FULL_JOIN_COUNT_SQL);
    await c.query('COMMIT');
    return rows[0]!.n;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The plan of a baseline, for the log (its node lines, without costs), and the settings it ran with. */
export async function baselinePlan(c: pg.Client, variant: 'hash' | 'merge'): Promise<{ plan: string[]; settings: Record<string, string> }> {
  await c.query('BEGIN');
  try {
    await setScanSettings(c, variant);
    const settings = await settingsOf(async (sql) => (await c.query<{ name: string; setting: string }>(sql)).rows);
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS off) ${FULL_JOIN_COUNT_SQL}`);
    return { plan: rows.map((r) => r['QUERY PLAN']), settings };
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
 * (2) The sync job's yardstick: every desync repaired set-based in ONE transaction, writing what the
 * job writes. The desyncs are read once into a temporary table, by one of two finders:
 *   - `scan`: SYNC_SCAN_SQL, one FULL JOIN of both tables (a parallel hash full join), the kind
 *     from which side is missing or which levels differ;
 *   - `set`: SYNC_FROM_SET_SQL, the maintained set current_desyncs (as the job plans: lib/sync/plan.ts),
 *     each pair's rows read by primary key.
 * Then SYNC_WRITE_SQL, one statement: the three keyed writes of the repair policy (lib/sync/repair.ts:
 * LEVEL_MISMATCH the license takes the progress level, MISSING_LICENSE a license at the progress
 * level, MISSING_PROGRESS progress at the license level's minimum), and from the keys they returned
 * the job's rows as lib/sync/repair-sql.ts writes them: a sync_jobs row (SUCCEEDED, its counts), one
 * sync_job_items row per pair (before and after images, the rows' versions), one SYNC_JOB_REPAIR audit
 * event per pair, and the job's SYNC_JOB_STARTED and SYNC_JOB_FINISHED events. The writer is named as
 * the job names itself (sw_set_writer), so the judge at commit writes the same pair events.
 * Not written: the job's closing health snapshot (a health_checks row), the job's heartbeats and
 * per-batch counter updates, and its pair locks (one transaction holds the rows' locks instead).
 * The data set's desyncs are of these three kinds only; a pair of another kind would be left out,
 * and the counts returned would show it.
 */
const REPAIR_COLUMNS = `p.current_level AS pl, p.total_xp AS xp, p.completed_sessions AS se, p.version AS pv,
         l.current_level AS ll, l.started_at AS ls, l.last_advanced_at AS la, l.version AS lv`;

export const SYNC_SCAN_SQL = `
  CREATE TEMP TABLE bench_repair ON COMMIT DROP AS
  SELECT coalesce(p.user_id, l.user_id) AS user_id, coalesce(p.specialization_id, l.specialization_id) AS spec,
         (CASE WHEN l.user_id IS NULL THEN 'MISSING_LICENSE' WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS'
               ELSE 'LEVEL_MISMATCH' END)::"DesyncKind" AS kind,
         ${REPAIR_COLUMNS}
  FROM specialization_progress p
  FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
  WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level`;

/**
 * The scan's rows leave a parallel hash full join through a Gather; the planner estimates that
 * `p.current_level <> l.current_level` keeps 99% of the pairs (it keeps 1%), prices a Gather of a
 * million rows and picks a serial plan, about twice as slow. So the scan is costed without the
 * per-row transfer, and runs on 3 processes, as the count baseline does.
 */
export const SYNC_SCAN_PARALLEL = `SET LOCAL parallel_tuple_cost = 0`;

export const SYNC_FROM_SET_SQL = `
  CREATE TEMP TABLE bench_repair ON COMMIT DROP AS
  SELECT d.user_id, d.specialization_id AS spec, d.kind,
         ${REPAIR_COLUMNS}
  FROM (SELECT DISTINCT ON (user_id, specialization_id) user_id, specialization_id, kind
        FROM current_desyncs ORDER BY user_id, specialization_id, since) d
  LEFT JOIN specialization_progress p ON p.user_id = d.user_id AND p.specialization_id = d.specialization_id
  LEFT JOIN user_licenses l ON l.user_id = d.user_id AND l.specialization_id = d.specialization_id`;

/** A timestamp as JavaScript's toISOString() writes it (the job's images are written from JavaScript dates). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** $1 the actor, $2 the job's reason. */
export const SYNC_WRITE_SQL = `
  WITH job_id AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence('sync_jobs', 'id'))::int AS id),
  set_license AS (
    UPDATE user_licenses l SET current_level = r.pl, last_advanced_at = greatest(now(), l.started_at)
    FROM bench_repair r WHERE r.kind = 'LEVEL_MISMATCH' AND l.user_id = r.user_id AND l.specialization_id = r.spec
    RETURNING l.user_id, l.specialization_id AS spec, l.started_at, l.last_advanced_at, l.version),
  new_license AS (
    INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
    SELECT r.user_id, r.spec, r.pl, now() FROM bench_repair r WHERE r.kind = 'MISSING_LICENSE'
    ON CONFLICT DO NOTHING
    RETURNING user_id, specialization_id AS spec, started_at, last_advanced_at, version),
  new_progress AS (
    INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
    SELECT r.user_id, r.spec, r.ll, q.xp_required, q.sessions_required
    FROM bench_repair r JOIN level_requirements q ON q.specialization_id = r.spec AND q.level = r.ll
    WHERE r.kind = 'MISSING_PROGRESS'
    ON CONFLICT DO NOTHING
    RETURNING user_id, specialization_id AS spec, current_level, total_xp, completed_sessions, version),
  written AS (
    SELECT user_id, spec, started_at, last_advanced_at, NULL::int AS pl, NULL::int AS xp, NULL::int AS se, NULL::int AS pv,
           version AS lv FROM set_license
    UNION ALL SELECT user_id, spec, started_at, last_advanced_at, NULL, NULL, NULL, NULL, version FROM new_license
    UNION ALL SELECT user_id, spec, NULL, NULL, current_level, total_xp, completed_sessions, version, NULL FROM new_progress),
  r AS MATERIALIZED (
    SELECT t.user_id, t.spec, t.kind, b.before,
           b.before || CASE WHEN w.started_at IS NOT NULL
                            THEN jsonb_build_object('licenseLevel', t.pl, 'licenseStartedAt', ${iso('w.started_at')},
                                                    'licenseLastAdvancedAt', ${iso('w.last_advanced_at')})
                            ELSE jsonb_build_object('progressLevel', w.pl, 'totalXp', w.xp, 'completedSessions', w.se) END AS after,
           coalesce(w.pv, t.pv) AS pv, coalesce(w.lv, t.lv) AS lv
    FROM bench_repair t
    JOIN written w ON w.user_id = t.user_id AND w.spec = t.spec
    CROSS JOIN LATERAL (
      SELECT jsonb_build_object('progressLevel', t.pl, 'licenseLevel', t.ll, 'totalXp', t.xp, 'completedSessions', t.se)
             || CASE WHEN t.ls IS NULL THEN '{}'::jsonb
                     ELSE jsonb_build_object('licenseStartedAt', ${iso('t.ls')}, 'licenseLastAdvancedAt', ${iso('t.la')}) END AS before) b),
  items AS (
    INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, after, outcome, progress_version, license_version)
    SELECT j.id, r.user_id, r.spec, r.kind, r.before, r.after, 'SYNCED', r.pv, r.lv FROM r, job_id j
    RETURNING 1),
  audit AS (
    INSERT INTO audit_events (actor, action, source, user_id, specialization_id, before, after, sync_job_id)
    SELECT $1, 'SYNC_JOB_REPAIR', 'CLI', r.user_id, r.spec, r.before, r.after || jsonb_build_object('kind', r.kind), j.id FROM r, job_id j
    RETURNING 1),
  job AS (
    INSERT INTO sync_jobs (id, status, trigger, actor, reason, started_at, heartbeat_at, finished_at, duration_ms,
                           found, total, done, synced)
    SELECT j.id, 'SUCCEEDED', 'MANUAL', $1, $2, now(), clock_timestamp(), clock_timestamp(),
           greatest(0, round(extract(epoch FROM clock_timestamp() - now()) * 1000))::int, f.n, f.n, s.n, s.n
    FROM job_id j, (SELECT count(*)::int AS n FROM bench_repair) f, (SELECT count(*)::int AS n FROM items) s
    RETURNING id, found, synced),
  job_audit AS (
    INSERT INTO audit_events (actor, action, source, sync_job_id, reason, after)
    SELECT $1, 'SYNC_JOB_STARTED', 'CLI'::"AuditSource", job.id, $2, jsonb_build_object('found', job.found) FROM job
    UNION ALL
    SELECT $1, 'SYNC_JOB_FINISHED', 'CLI'::"AuditSource", job.id, NULL,
           jsonb_build_object('status', 'SUCCEEDED', 'synced', job.synced, 'failed', 0, 'reported', 0, 'conflicts', 0) FROM job
    RETURNING 1)
  SELECT (SELECT id FROM job) AS job_id, (SELECT count(*) FROM bench_repair)::int AS found,
         (SELECT count(*) FROM set_license)::int AS updated, (SELECT count(*) FROM new_license)::int AS licenses,
         (SELECT count(*) FROM new_progress)::int AS progress, (SELECT count(*) FROM items)::int AS items,
         ((SELECT count(*) FROM audit) + (SELECT count(*) FROM job_audit))::int AS audits`;

export interface SetBasedRepair {
  jobId: number;
  found: number;
  updated: number;
  licenses: number;
  progress: number;
  items: number;
  audits: number;
}

/** The two finders of the set-based repair: one scan of both tables, or the maintained set. */
export type RepairFinder = 'scan' | 'set';

/** (2) The set-based repair (see SYNC_WRITE_SQL), one transaction, judged at commit; returns what it wrote. */
export async function repairSetBased(
  c: pg.Client,
  finder: RepairFinder = 'scan',
  actor = 'bench',
  reason = 'benchmark',
): Promise<SetBasedRepair> {
  await c.query('BEGIN');
  try {
    await c.query(`SELECT sw_set_writer('CLI'::"AuditSource", $1::text)`, [actor]);
    if (finder === 'scan') await c.query(SYNC_SCAN_PARALLEL);
    await c.query(finder === 'scan' ? SYNC_SCAN_SQL : SYNC_FROM_SET_SQL);
    const { rows } = await c.query<{ job_id: number } & Omit<SetBasedRepair, 'jobId'>>(SYNC_WRITE_SQL, [actor, reason]);
    await c.query('COMMIT');
    const { job_id: jobId, ...counts } = rows[0]!;
    return { jobId, ...counts };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
