import type { DbTx } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import type { AuditAction } from '../vocabulary';
import { SyncError } from './errors';
import { lockPairs } from './locks';
import type { Decision, LoadedPair } from './repair';
import type { AuditSource, SyncItemOutcome } from './types';

/** The statements that load, lock and repair pairs by the decisions of lib/sync/repair.ts. */

/** Locks the given pairs (all progress rows, then all license rows, each in key order) and loads them. */
export async function lockAndLoad(
  tx: DbTx,
  actor: ApplyContext['actor'],
  pairs: { userId: number; specializationId: string }[],
): Promise<LoadedPair[]> {
  const users = pairs.map((p) => p.userId);
  const specs = pairs.map((p) => p.specializationId);
  await lockPairs(tx, actor, pairs);
  await tx.$queryRaw`SELECT 1 FROM specialization_progress p
    WHERE (p.user_id, p.specialization_id) IN (SELECT * FROM unnest(${users}::int[], ${specs}::text[]))
    ORDER BY p.user_id, p.specialization_id FOR UPDATE`;
  await tx.$queryRaw`SELECT 1 FROM user_licenses l
    WHERE (l.user_id, l.specialization_id) IN (SELECT * FROM unnest(${users}::int[], ${specs}::text[]))
    ORDER BY l.user_id, l.specialization_id FOR UPDATE`;
  return loadPairs(tx, users, specs);
}

interface PairRow {
  user_id: number;
  spec: string;
  email: string | null;
  pl: number | null;
  xp: number | null;
  se: number | null;
  ll: number | null;
  lf: boolean;
  ls: Date | null;
  la: Date | null;
  pv: number | null;
  lv: number | null;
  user_exists: boolean;
  spec_exists: boolean;
}

export async function loadPairs(tx: DbTx, users: number[], specs: string[]): Promise<LoadedPair[]> {
  const rows = await tx.$queryRaw<PairRow[]>`
    SELECT t.user_id, t.spec, u.email, p.current_level AS pl, p.total_xp AS xp, p.completed_sessions AS se,
           l.current_level AS ll, coalesce(sw_license_in_future(l.started_at), false) AS lf,
           l.started_at AS ls, l.last_advanced_at AS la, p.version AS pv, l.version AS lv,
           u.id IS NOT NULL AS user_exists, EXISTS (SELECT 1 FROM specializations s WHERE s.id = t.spec) AS spec_exists
    FROM unnest(${users}::int[], ${specs}::text[]) WITH ORDINALITY AS t(user_id, spec, ord)
    LEFT JOIN users u ON u.id = t.user_id
    LEFT JOIN specialization_progress p ON p.user_id = t.user_id AND p.specialization_id = t.spec
    LEFT JOIN user_licenses l ON l.user_id = t.user_id AND l.specialization_id = t.spec
    ORDER BY t.ord`;
  return rows.map((r) => ({
    userId: r.user_id,
    specializationId: r.spec,
    email: r.email,
    progressLevel: r.pl,
    totalXp: r.xp,
    completedSessions: r.se,
    licenseLevel: r.ll,
    licenseStartedInFuture: r.lf,
    licenseStartedAt: r.ls,
    licenseLastAdvancedAt: r.la,
    progressVersion: r.pv,
    licenseVersion: r.lv,
    userExists: r.user_exists,
    specializationExists: r.spec_exists,
  }));
}

export interface ApplyContext {
  /** Set for a sync job: its items are recorded and its row is fenced (see applyDecisions). */
  jobId: number | null;
  actor: { label: string; userId?: number | null; source: AuditSource };
  /** Audit action for each repaired pair. */
  auditAction: Extract<AuditAction, 'SYNC_JOB_REPAIR' | 'SYNC_PAIR' | 'SYNC_JOB_UNDO'>;
  /** Overrides the outcome of every decision (used to record failures). */
  outcome?: SyncItemOutcome;
  error?: string;
}

/** A timestamp column as JavaScript's toISOString() writes it, so recorded images read alike. */
const iso = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** What happened to one pair: the outcome comes from the rows the statement actually wrote. */
export interface Applied {
  userId: number;
  specializationId: string;
  outcome: SyncItemOutcome;
  error: string | null;
}

/** The job this batch belongs to is no longer RUNNING (abandoned by a sweep): nothing was committed. */
export class JobFencedError extends SyncError {
  constructor(jobId: number) {
    super(
      'CONFLICT',
      `job #${jobId} is no longer running (it was cancelled, or another instance marked it ABANDONED); this batch was rolled back.`,
    );
  }
}

export function outcomeOf(d: Decision): SyncItemOutcome {
  return d.action === 'NONE' ? 'SKIPPED' : d.action === 'REPORT' ? 'REPORTED' : 'SYNCED';
}

/**
 * Applies decisions in ONE statement: the pair writes, then job items, audit events, the job's
 * counters and heartbeat, and the repaired pairs' removal from the current-desync list, each
 * from the keys the writes RETURNed, so a repair that wrote nothing is recorded FAILED with the
 * reason, never SYNCED. Rows must already be locked (lockAndLoad).
 *
 * A sync job's batch updates its job only WHERE status = 'RUNNING' (heartbeat from the
 * database clock): when a sweep abandoned the job meanwhile, that matches nothing and the batch
 * is rolled back (JobFencedError), so an abandoned job commits no further repair. A pair whose
 * two writes did not both happen rolls the statement back too: never a half-written pair.
 */
export async function applyDecisions(tx: DbTx, decisions: Decision[], ctx: ApplyContext): Promise<Applied[]> {
  const payload = JSON.stringify(
    decisions.map((d) => {
      const outcome = ctx.outcome ?? outcomeOf(d);
      return {
        user_id: d.userId,
        spec: d.specializationId,
        kind: d.kind,
        action: ctx.outcome ? 'NONE' : d.action,
        target_level: d.targetLevel,
        before: d.before,
        after: outcome === 'FAILED' ? null : d.after,
        outcome,
        error: ctx.error ?? d.reason ?? null,
        pv0: d.versions?.progress ?? null,
        lv0: d.versions?.license ?? null,
      };
    }),
  );
  const [result] = await tx.$queryRaw<OutcomeRow[]>`
    WITH t AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(${payload}::jsonb) AS t(
        user_id int, spec text, kind text, action text, target_level int, before jsonb, after jsonb, outcome text, error text,
        pv0 int, lv0 int)),
    set_progress AS (
      UPDATE specialization_progress p SET current_level = t.target_level
      FROM t WHERE t.action = 'SET_BOTH_LEVELS' AND p.user_id = t.user_id AND p.specialization_id = t.spec
      RETURNING p.user_id, p.specialization_id AS spec, p.version),
    set_license AS (
      UPDATE user_licenses l SET current_level = t.target_level, last_advanced_at = greatest(now(), l.started_at)
      FROM t WHERE t.action IN ('SET_LICENSE_LEVEL', 'SET_BOTH_LEVELS') AND l.user_id = t.user_id AND l.specialization_id = t.spec
      RETURNING l.user_id, l.specialization_id AS spec, l.started_at, l.last_advanced_at, l.version),
    reset_start AS (
      UPDATE user_licenses l SET started_at = now(), last_advanced_at = least(l.last_advanced_at, now())
      FROM t WHERE t.action = 'RESET_LICENSE_START' AND l.user_id = t.user_id AND l.specialization_id = t.spec
      RETURNING l.user_id, l.specialization_id AS spec, l.started_at, l.last_advanced_at, l.version),
    new_license AS (
      INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
      SELECT t.user_id, t.spec, t.target_level, now() FROM t
      WHERE t.action = 'CREATE_LICENSE' OR (t.action = 'SET_BOTH_LEVELS' AND t.before->>'licenseLevel' IS NULL)
      ON CONFLICT DO NOTHING
      RETURNING user_id, specialization_id AS spec, started_at, last_advanced_at, version),
    new_progress AS (
      INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
      SELECT t.user_id, t.spec, t.target_level, r.xp_required, r.sessions_required
      FROM t JOIN level_requirements r ON r.specialization_id = t.spec AND r.level = t.target_level
      WHERE t.action = 'CREATE_PROGRESS'
      ON CONFLICT DO NOTHING
      RETURNING user_id, specialization_id AS spec, version),
    written AS (
      SELECT user_id, spec, count(DISTINCT side)::int AS sides, max(started_at) AS started_at, max(last_advanced_at) AS last_advanced_at,
             max(version) FILTER (WHERE side = 'p') AS pv, max(version) FILTER (WHERE side = 'l') AS lv FROM (
        SELECT user_id, spec, 'p' AS side, NULL::timestamptz AS started_at, NULL::timestamptz AS last_advanced_at, version FROM set_progress
        UNION ALL SELECT user_id, spec, 'l', started_at, last_advanced_at, version FROM set_license
        UNION ALL SELECT user_id, spec, 'l', started_at, last_advanced_at, version FROM reset_start
        UNION ALL SELECT user_id, spec, 'l', started_at, last_advanced_at, version FROM new_license
        UNION ALL SELECT user_id, spec, 'p', NULL, NULL, version FROM new_progress) w
      GROUP BY user_id, spec),
    r AS MATERIALIZED (
      SELECT t.user_id, t.spec, t.kind, t.before,
             CASE WHEN t.outcome = 'SYNCED' AND w.user_id IS NULL THEN 'FAILED' ELSE t.outcome END AS outcome,
             CASE WHEN t.outcome = 'SYNCED' AND w.user_id IS NULL
                  THEN 'The repair wrote no row: the pair changed meanwhile or its level does not exist. Left for the next run.'
                  ELSE t.error END AS error,
             CASE WHEN t.outcome = 'SYNCED' AND w.user_id IS NULL THEN NULL
                  WHEN w.started_at IS NOT NULL
                  THEN t.after || jsonb_build_object('licenseStartedAt', ${iso('w.started_at')},
                                                     'licenseLastAdvancedAt', ${iso('w.last_advanced_at')})
                  ELSE t.after END AS after,
             coalesce(w.pv, t.pv0) AS pv, coalesce(w.lv, t.lv0) AS lv,
             (t.action = 'SET_BOTH_LEVELS' AND coalesce(w.sides, 0) = 1) AS half
      FROM t LEFT JOIN written w ON w.user_id = t.user_id AND w.spec = t.spec)
    ${recordOutcomes(ctx)}`;
  return checkRecorded(result, ctx);
}

/** What the shared tail of applyDecisions and applyRestores (lib/sync/undo-sql.ts) returns. */
export interface OutcomeRow {
  job_rows: number;
  half_written: number;
  applied: Applied[] | null;
}

/**
 * The tail shared by every statement that writes pairs for a job or a single repair. It reads the
 * CTE `r`, one row per pair: user_id, spec, kind, before and after (images), outcome, error, pv and
 * lv (the rows' versions as the statement leaves them) and half (only one of two planned rows
 * written). It records the job items, the audit events and the job's counters and heartbeat; a
 * pair found consistent or left alone is re-judged at commit (its entry in the desync set may be
 * stale: the triggers were bypassed), while written pairs are judged by their own writes.
 */
export function recordOutcomes(ctx: ApplyContext): Prisma.Sql {
  return Prisma.sql`,
    items AS (
      INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, after, outcome, error,
                                  progress_version, license_version)
      SELECT ${ctx.jobId}::int, r.user_id, r.spec, r.kind::"DesyncKind", r.before, r.after, r.outcome::"SyncItemOutcome", r.error,
             CASE WHEN r.outcome = 'FAILED' THEN NULL ELSE r.pv END, CASE WHEN r.outcome = 'FAILED' THEN NULL ELSE r.lv END
      FROM r WHERE ${ctx.jobId}::int IS NOT NULL
      RETURNING 1),
    audit AS (
      INSERT INTO audit_events (actor, actor_user_id, action, source, user_id, specialization_id, before, after, sync_job_id)
      SELECT ${ctx.actor.label}, ${ctx.actor.userId ?? null}::int, ${ctx.auditAction}, ${ctx.actor.source}::"AuditSource",
             r.user_id, r.spec, r.before, r.after || jsonb_build_object('kind', r.kind), ${ctx.jobId}::int
      FROM r WHERE r.outcome = 'SYNCED'
      RETURNING 1),
    rejudged AS (
      SELECT sw_note_pairs(array_agg(r.user_id), array_agg(r.spec)) AS n FROM r WHERE r.outcome IN ('SKIPPED', 'REPORTED')),
    job AS (
      UPDATE sync_jobs SET done = done + (SELECT count(*) FROM r),
             synced = synced + (SELECT count(*) FROM r WHERE outcome = 'SYNCED'),
             failed = failed + (SELECT count(*) FROM r WHERE outcome = 'FAILED'),
             reported = reported + (SELECT count(*) FROM r WHERE outcome = 'REPORTED'),
             conflicts = conflicts + (SELECT count(*) FROM r WHERE outcome = 'CONFLICT'),
             heartbeat_at = clock_timestamp()
      WHERE id = ${ctx.jobId}::int AND status = 'RUNNING'
      RETURNING 1)
    SELECT (SELECT count(*) FROM job)::int AS job_rows, (SELECT count(*) FROM rejudged WHERE n IS NOT NULL)::int AS rejudged,
           (SELECT count(*) FROM r WHERE r.half)::int AS half_written,
           (SELECT json_agg(json_build_object('userId', user_id, 'specializationId', spec, 'outcome', outcome, 'error', error)) FROM r)
             AS applied`;
}

/** Rolls the statement back (by throwing) when the job was fenced or a pair was half-written. */
export function checkRecorded(result: OutcomeRow | undefined, ctx: ApplyContext): Applied[] {
  if (ctx.jobId !== null && result?.job_rows === 0) throw new JobFencedError(ctx.jobId);
  if (result && result.half_written > 0) {
    throw new SyncError('CONFLICT', 'A repair could write only one of the two rows of a pair; nothing was written.');
  }
  return result?.applied ?? [];
}
