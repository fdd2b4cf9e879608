import type { DbTx } from '../db/prisma';
import type { UndoDecision } from './undo-policy';
import { checkRecorded, recordOutcomes, type Applied, type ApplyContext, type OutcomeRow } from './repair-sql';

/**
 * Writes an undo batch's decisions in ONE statement: each pair's rows are set to the image the
 * decision restores (updated, re-created or deleted, side by side), then the shared tail records
 * the items, audit events and the job's counters (lib/sync/repair-sql.ts#recordOutcomes). A pair
 * whose writes did not all happen rolls the whole statement back: never a half-written pair.
 * Rows must already be locked (lockAndLoad).
 */
export async function applyRestores(tx: DbTx, decisions: UndoDecision[], ctx: ApplyContext): Promise<Applied[]> {
  const payload = JSON.stringify(
    decisions.map((d) => {
      const write = d.outcome === 'SYNCED' && !ctx.outcome;
      const p = write ? d.progress : { op: 'KEEP' as const };
      const l = write ? d.license : { op: 'KEEP' as const };
      return {
        user_id: d.userId,
        spec: d.specializationId,
        kind: d.kind,
        before: d.before,
        after: ctx.outcome === 'FAILED' ? null : d.after,
        outcome: ctx.outcome ?? d.outcome,
        error: ctx.error ?? d.note,
        p_op: p.op,
        pl: 'level' in p ? p.level : null,
        xp: 'totalXp' in p ? p.totalXp : null,
        se: 'completedSessions' in p ? p.completedSessions : null,
        l_op: l.op,
        ll: 'level' in l ? l.level : null,
        ls: 'startedAt' in l ? l.startedAt : null,
        la: 'lastAdvancedAt' in l ? l.lastAdvancedAt : null,
        pv0: d.versions.progress,
        lv0: d.versions.license,
        ops: Number(p.op !== 'KEEP') + Number(l.op !== 'KEEP'),
      };
    }),
  );
  const [result] = await tx.$queryRaw<OutcomeRow[]>`
    WITH t AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(${payload}::jsonb) AS t(
        user_id int, spec text, kind text, before jsonb, after jsonb, outcome text, error text,
        p_op text, pl int, xp int, se int, l_op text, ll int, ls timestamptz, la timestamptz, pv0 int, lv0 int, ops int)),
    upd_p AS (
      UPDATE specialization_progress p SET current_level = t.pl, total_xp = t.xp, completed_sessions = t.se
      FROM t WHERE t.p_op = 'UPDATE' AND p.user_id = t.user_id AND p.specialization_id = t.spec
      RETURNING p.user_id, p.specialization_id AS spec, p.version),
    ins_p AS (
      INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
      SELECT t.user_id, t.spec, t.pl, t.xp, t.se FROM t WHERE t.p_op = 'INSERT'
      ON CONFLICT DO NOTHING
      RETURNING user_id, specialization_id AS spec, version),
    del_p AS (
      DELETE FROM specialization_progress p USING t
      WHERE t.p_op = 'DELETE' AND p.user_id = t.user_id AND p.specialization_id = t.spec
      RETURNING p.user_id, p.specialization_id AS spec),
    upd_l AS (
      UPDATE user_licenses l SET current_level = t.ll, started_at = t.ls, last_advanced_at = t.la
      FROM t WHERE t.l_op = 'UPDATE' AND l.user_id = t.user_id AND l.specialization_id = t.spec
      RETURNING l.user_id, l.specialization_id AS spec, l.version),
    ins_l AS (
      INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, last_advanced_at)
      SELECT t.user_id, t.spec, t.ll, coalesce(t.ls, now()), t.la FROM t WHERE t.l_op = 'INSERT'
      ON CONFLICT DO NOTHING
      RETURNING user_id, specialization_id AS spec, version),
    del_l AS (
      DELETE FROM user_licenses l USING t
      WHERE t.l_op = 'DELETE' AND l.user_id = t.user_id AND l.specialization_id = t.spec
      RETURNING l.user_id, l.specialization_id AS spec),
    written AS (
      SELECT user_id, spec, count(*)::int AS ops,
             max(version) FILTER (WHERE side = 'p') AS pv, max(version) FILTER (WHERE side = 'l') AS lv FROM (
        SELECT user_id, spec, 'p' AS side, version FROM upd_p
        UNION ALL SELECT user_id, spec, 'p', version FROM ins_p
        UNION ALL SELECT user_id, spec, 'p', NULL FROM del_p
        UNION ALL SELECT user_id, spec, 'l', version FROM upd_l
        UNION ALL SELECT user_id, spec, 'l', version FROM ins_l
        UNION ALL SELECT user_id, spec, 'l', NULL FROM del_l) w
      GROUP BY user_id, spec),
    r AS MATERIALIZED (
      SELECT t.user_id, t.spec, t.kind, t.before, t.after, t.outcome, t.error,
             CASE t.p_op WHEN 'KEEP' THEN t.pv0 WHEN 'DELETE' THEN NULL ELSE w.pv END AS pv,
             CASE t.l_op WHEN 'KEEP' THEN t.lv0 WHEN 'DELETE' THEN NULL ELSE w.lv END AS lv,
             coalesce(w.ops, 0) <> t.ops AS half
      FROM t LEFT JOIN written w ON w.user_id = t.user_id AND w.spec = t.spec)
    ${recordOutcomes(ctx)}`;
  return checkRecorded(result, ctx);
}
