import type { Db } from '../db/prisma';
import type { AuditSource, DesyncKind, PairEffect } from '../vocabulary';
import { learnerIdSchema, parseInput } from './validation';
import { z } from 'zod';

/**
 * Everything that touched a learner, newest first: the audit events about them, the sync-job
 * items that wrote no audit event of their own (reported, skipped or failed pairs; a repaired pair
 * has its SYNC_JOB_REPAIR event already), and the pair events the judge at commit recorded that
 * SyncWatch's own records do not show: every foreign write (writer_kind SQL, whatever its effect)
 * and every desync caused (BROKE or CHANGED) by any writer. All three come from indexes on
 * (user, time).
 */

/** Which side of a pair a pair event's transaction wrote (pair_events.side). */
export type PairSide = 'progress' | 'license' | 'both' | 'requirements' | 'none';

/**
 * Who wrote: for audit events and job items their AuditSource; for pair events the writer kind the
 * judge recorded, which is also SQL (a writer other than SyncWatch) or AUDIT (the full audit or the clock).
 */
export type HistoryOrigin = AuditSource | 'SQL' | 'AUDIT';

/** What a pair event says beyond an audit event: the verdict's change and the writer's connection. */
export interface PairChange {
  effect: PairEffect;
  /** The pair's kind after the write; null when it is consistent. */
  kind: DesyncKind | null;
  side: PairSide;
  dbUser: string | null;
  applicationName: string | null;
  clientAddr: string | null;
}

/** A side's rows as a pair event records them: null where the row did not (or no longer) exist. */
export interface PairEventSides {
  progress?: { level: number; totalXp: number; completedSessions: number } | null;
  license?: { level: number; startedAt: string } | null;
}

export interface HistoryEntry {
  /** "audit:<id>", "item:<id>" or "event:<id>". */
  id: string;
  at: Date;
  /** The audit event's actor, the job's actor, or the pair event's writer. */
  actor: string;
  /**
   * The AuditSource. A pair event has none of its own: SyncWatch's writers give theirs (the writer
   * kind), and a foreign write or the audit's re-judgement is DATABASE (the judge recorded it).
   */
  source: AuditSource;
  origin: HistoryOrigin;
  /** An audit action, "SYNC_JOB_<OUTCOME>" for a job item, "FOREIGN_WRITE" or "DESYNC_CAUSED" for a pair event. */
  action: string;
  specializationId: string | null;
  /** For a pair event, PairEventSides. */
  before: unknown;
  after: unknown;
  reason: string | null;
  syncJobId: number | null;
  /** Pair events only. */
  change: PairChange | null;
}

const historySchema = z.strictObject({
  userId: learnerIdSchema,
  offset: z.number().int().min(0).max(1_000_000_000).optional(),
  limit: z.number().int().min(1).max(200).optional(),
});

interface Row {
  id: string;
  at: Date;
  actor: string;
  source: AuditSource;
  origin: HistoryOrigin;
  action: string;
  specialization_id: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  sync_job_id: number | null;
  effect: PairEffect | null;
  kind: DesyncKind | null;
  side: PairSide | null;
  db_user: string | null;
  application_name: string | null;
  client_addr: string | null;
}

export async function listLearnerHistory(db: Db, userId: number, opts: { offset?: number; limit?: number } = {}) {
  const v = parseInput(historySchema, { userId, ...opts });
  const limit = v.limit ?? 25;
  const offset = v.offset ?? 0;
  // Each side reads at most offset + limit rows from its index; the union is sorted and cut.
  const window = offset + limit;
  const [rows, counts] = await Promise.all([
    db.$queryRaw<Row[]>`
      SELECT * FROM (
        (SELECT 'audit:' || e.id AS id, 0 AS rank, e.id AS seq, e.at, e.actor, e.source::text AS source, e.source::text AS origin, e.action,
                e.specialization_id, e.before, e.after, e.reason, e.sync_job_id, NULL::text AS effect, NULL::text AS kind,
                NULL::text AS side, NULL::text AS db_user, NULL::text AS application_name, NULL::text AS client_addr
         FROM audit_events e WHERE e.user_id = ${v.userId} ORDER BY e.at DESC LIMIT ${window})
        UNION ALL
        (SELECT 'item:' || i.id, 0, i.id, i.created_at, j.actor, 'SYNC_JOB', 'SYNC_JOB', 'SYNC_JOB_' || i.outcome::text,
                i.specialization_id, i.before, i.after, i.error, i.job_id, NULL, NULL, NULL, NULL, NULL, NULL
         FROM sync_job_items i JOIN sync_jobs j ON j.id = i.job_id
         WHERE i.user_id = ${v.userId} AND i.outcome <> 'SYNCED' ORDER BY i.created_at DESC LIMIT ${window})
        UNION ALL
        (SELECT 'event:' || p.id, 1, p.id, p.at, p.writer,
                CASE WHEN p.writer_kind IN ('APP', 'SYNC_JOB', 'ADMIN', 'CLI', 'API') THEN p.writer_kind ELSE 'DATABASE' END,
                p.writer_kind, CASE WHEN p.writer_kind = 'SQL' THEN 'FOREIGN_WRITE' ELSE 'DESYNC_CAUSED' END, p.specialization_id,
                p.before, p.after, NULL, NULL, p.effect::text, p.kind::text, p.side, p.db_user, p.application_name, p.client_addr
         FROM pair_events p
         WHERE p.user_id = ${v.userId} AND (p.writer_kind = 'SQL' OR p.effect IN ('BROKE', 'CHANGED'))
         ORDER BY p.at DESC LIMIT ${window})
      ) h
      -- A pair event is recorded at its transaction's commit, after the audit event the same
      -- transaction wrote: within one millisecond it is the newer.
      ORDER BY at DESC, rank DESC, seq DESC
      LIMIT ${limit} OFFSET ${offset}`,
    db.$queryRaw<{ n: number }[]>`
      SELECT ((SELECT count(*) FROM audit_events WHERE user_id = ${v.userId})
            + (SELECT count(*) FROM sync_job_items WHERE user_id = ${v.userId} AND outcome <> 'SYNCED')
            + (SELECT count(*) FROM pair_events
               WHERE user_id = ${v.userId} AND (writer_kind = 'SQL' OR effect IN ('BROKE', 'CHANGED'))))::int AS n`,
  ]);
  const items: HistoryEntry[] = rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    source: r.source,
    origin: r.origin,
    action: r.action,
    specializationId: r.specialization_id,
    before: r.before,
    after: r.after,
    reason: r.reason,
    syncJobId: r.sync_job_id,
    change:
      r.effect && r.side
        ? {
            effect: r.effect,
            kind: r.kind,
            side: r.side,
            dbUser: r.db_user,
            applicationName: r.application_name,
            clientAddr: r.client_addr,
          }
        : null,
  }));
  return { items, total: counts[0]?.n ?? 0 };
}
