import type { DbTx } from '../db/prisma';
import type { AuditAction } from '../vocabulary';
import { classifyPair } from './classify';
import { requirementFor, type LevelTable } from './level-rules';
import type { DesyncKind, PairSnapshot, PlannedRepair, SyncItemOutcome } from './types';

type Tx = DbTx;

/**
 * The repair policy, as a pure function, and the set-based statement that applies a batch of
 * decisions. Used alike by the dry run, the sync job (batches of many pairs) and syncPair (a
 * batch of one), so a dry run shows exactly what a real run does.
 *
 *   LEVEL_MISMATCH   the license takes the progress level (progress is the source of truth)
 *   MISSING_LICENSE  a license is created from the progress level
 *   MISSING_PROGRESS progress is created at the license level's minimum XP and sessions
 *   ORPHAN_*         reported, never changed
 */

export interface LoadedPair {
  userId: number;
  specializationId: string;
  email: string | null;
  progressLevel: number | null;
  totalXp: number | null;
  completedSessions: number | null;
  licenseLevel: number | null;
  userExists: boolean;
  specializationExists: boolean;
}

export type RepairAction = 'SET_LICENSE_LEVEL' | 'CREATE_LICENSE' | 'CREATE_PROGRESS' | 'REPORT' | 'NONE';

export interface Decision extends PlannedRepair {
  action: RepairAction;
  /** The level the written row gets. */
  targetLevel: number | null;
}

function classify(p: LoadedPair): DesyncKind | null {
  return classifyPair({ progressLevel: p.progressLevel, licenseLevel: p.licenseLevel, orphan: !p.userExists || !p.specializationExists });
}

export function beforeOf(p: LoadedPair): PairSnapshot {
  return { progressLevel: p.progressLevel, licenseLevel: p.licenseLevel, totalXp: p.totalXp, completedSessions: p.completedSessions };
}

export function decide(p: LoadedPair, tables: Map<string, LevelTable>): Decision {
  const kind = classify(p);
  const before = beforeOf(p);
  const base = { userId: p.userId, specializationId: p.specializationId, email: p.email, before };
  switch (kind) {
    case null:
      return { ...base, kind: 'LEVEL_MISMATCH', action: 'NONE', targetLevel: null, after: before };
    case 'LEVEL_MISMATCH':
    case 'MISSING_LICENSE':
      return {
        ...base,
        kind,
        action: kind === 'LEVEL_MISMATCH' ? 'SET_LICENSE_LEVEL' : 'CREATE_LICENSE',
        targetLevel: p.progressLevel,
        after: { ...before, licenseLevel: p.progressLevel },
      };
    case 'MISSING_PROGRESS': {
      const req = requirementFor(tables.get(p.specializationId) ?? [], p.licenseLevel!);
      return {
        ...base,
        kind,
        action: 'CREATE_PROGRESS',
        targetLevel: p.licenseLevel,
        after: {
          progressLevel: p.licenseLevel,
          licenseLevel: p.licenseLevel,
          totalXp: req?.xpRequired ?? 0,
          completedSessions: req?.sessionsRequired ?? 0,
        },
      };
    }
    default:
      return { ...base, kind, action: 'REPORT', targetLevel: null, after: null };
  }
}

/** Locks the given pairs (all progress rows, then all license rows, each in key order) and loads them. */
export async function lockAndLoad(tx: Tx, pairs: { userId: number; specializationId: string }[]): Promise<LoadedPair[]> {
  const users = pairs.map((p) => p.userId);
  const specs = pairs.map((p) => p.specializationId);
  await tx.$queryRaw`SELECT 1 FROM specialization_progress p
    WHERE (p.user_id, p.specialization_id) IN (SELECT * FROM unnest(${users}::int[], ${specs}::text[]))
    ORDER BY p.user_id, p.specialization_id FOR UPDATE`;
  await tx.$queryRaw`SELECT 1 FROM user_licenses l
    WHERE (l.user_id, l.specialization_id) IN (SELECT * FROM unnest(${users}::int[], ${specs}::text[]))
    ORDER BY l.user_id, l.specialization_id FOR UPDATE`;
  return loadPairs(tx, users, specs);
}

export async function loadPairs(tx: Tx, users: number[], specs: string[]): Promise<LoadedPair[]> {
  const rows = await tx.$queryRaw<
    {
      user_id: number;
      spec: string;
      email: string | null;
      pl: number | null;
      xp: number | null;
      se: number | null;
      ll: number | null;
      user_exists: boolean;
      spec_exists: boolean;
    }[]
  >`
    SELECT t.user_id, t.spec, u.email, p.current_level AS pl, p.total_xp AS xp, p.completed_sessions AS se, l.current_level AS ll,
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
    userExists: r.user_exists,
    specializationExists: r.spec_exists,
  }));
}

export interface ApplyContext {
  /** Set for a sync job: its items are recorded. */
  jobId: number | null;
  actor: { label: string; userId?: number | null; source: string };
  /** Audit action for each repaired pair. */
  auditAction: Extract<AuditAction, 'SYNC_JOB_REPAIR' | 'SYNC_PAIR'>;
  /** Overrides the outcome of every decision (used to record failures). */
  outcome?: SyncItemOutcome;
  error?: string;
}

export function outcomeOf(d: Decision): SyncItemOutcome {
  return d.action === 'NONE' ? 'SKIPPED' : d.action === 'REPORT' ? 'REPORTED' : 'SYNCED';
}

/**
 * Applies decisions in ONE statement: license updates and inserts, progress inserts, job items,
 * audit events, the job's counters and heartbeat, and the repaired pairs' removal from the
 * current-desync list. Rows must already be locked (lockAndLoad).
 */
export async function applyDecisions(tx: Tx, decisions: Decision[], ctx: ApplyContext): Promise<void> {
  const rows = decisions.map((d) => {
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
      error: ctx.error ?? null,
    };
  });
  const payload = JSON.stringify(rows);
  const counts = {
    synced: rows.filter((r) => r.outcome === 'SYNCED').length,
    failed: rows.filter((r) => r.outcome === 'FAILED').length,
    reported: rows.filter((r) => r.outcome === 'REPORTED').length,
  };
  await tx.$executeRaw`
    WITH t AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(${payload}::jsonb)
        AS t(user_id int, spec text, kind text, action text, target_level int, before jsonb, after jsonb, outcome text, error text)),
    set_license AS (
      UPDATE user_licenses l SET current_level = t.target_level, last_advanced_at = greatest(now(), l.started_at)
      FROM t WHERE t.action = 'SET_LICENSE_LEVEL' AND l.user_id = t.user_id AND l.specialization_id = t.spec
      RETURNING 1),
    new_license AS (
      INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
      SELECT t.user_id, t.spec, t.target_level, now() FROM t WHERE t.action = 'CREATE_LICENSE'
      RETURNING 1),
    new_progress AS (
      INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
      SELECT t.user_id, t.spec, t.target_level, r.xp_required, r.sessions_required
      FROM t JOIN level_requirements r ON r.specialization_id = t.spec AND r.level = t.target_level
      WHERE t.action = 'CREATE_PROGRESS'
      RETURNING 1),
    items AS (
      INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, after, outcome, error)
      SELECT ${ctx.jobId}::int, t.user_id, t.spec, t.kind::"DesyncKind", t.before, t.after, t.outcome::"SyncItemOutcome", t.error
      FROM t WHERE ${ctx.jobId}::int IS NOT NULL
      RETURNING 1),
    audit AS (
      INSERT INTO audit_events (actor, actor_user_id, action, source, user_id, specialization_id, before, after, sync_job_id)
      SELECT ${ctx.actor.label}, ${ctx.actor.userId ?? null}::int, ${ctx.auditAction}, ${ctx.actor.source}::"AuditSource",
             t.user_id, t.spec, t.before, t.after || jsonb_build_object('kind', t.kind), ${ctx.jobId}::int
      FROM t WHERE t.outcome = 'SYNCED'
      RETURNING 1),
    cleared AS (
      DELETE FROM current_desyncs d USING t
      WHERE t.outcome IN ('SYNCED', 'SKIPPED') AND d.user_id = t.user_id AND d.specialization_id = t.spec
      RETURNING 1),
    job AS (
      UPDATE sync_jobs SET done = done + ${rows.length}, synced = synced + ${counts.synced}, failed = failed + ${counts.failed},
             reported = reported + ${counts.reported}, heartbeat_at = now()
      WHERE id = ${ctx.jobId}::int
      RETURNING 1)
    SELECT (SELECT count(*) FROM set_license) + (SELECT count(*) FROM new_license) + (SELECT count(*) FROM new_progress)
         + (SELECT count(*) FROM items) + (SELECT count(*) FROM audit) + (SELECT count(*) FROM cleared) + (SELECT count(*) FROM job)`;
}
