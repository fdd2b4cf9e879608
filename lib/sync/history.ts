import type { Db } from '../db/prisma';
import type { AuditSource } from '../vocabulary';
import { learnerIdSchema, parseInput } from './validation';
import { z } from 'zod';

/**
 * Everything that touched a learner, newest first: the audit events about them, and the sync-job
 * items that wrote no audit event of their own (reported, skipped or failed pairs; a repaired pair
 * has its SYNC_JOB_REPAIR event already). Both come from indexes on (user, time).
 */

export interface HistoryEntry {
  /** "audit:<id>" or "item:<id>". */
  id: string;
  at: Date;
  actor: string;
  source: AuditSource;
  /** An audit action, or "SYNC_JOB_<OUTCOME>" for a job item. */
  action: string;
  specializationId: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  syncJobId: number | null;
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
  action: string;
  specialization_id: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  sync_job_id: number | null;
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
        (SELECT 'audit:' || e.id AS id, e.id AS seq, e.at, e.actor, e.source::text AS source, e.action, e.specialization_id,
                e.before, e.after, e.reason, e.sync_job_id
         FROM audit_events e WHERE e.user_id = ${v.userId} ORDER BY e.at DESC LIMIT ${window})
        UNION ALL
        (SELECT 'item:' || i.id, i.id, i.created_at, j.actor, 'SYNC_JOB', 'SYNC_JOB_' || i.outcome::text, i.specialization_id,
                i.before, i.after, i.error, i.job_id
         FROM sync_job_items i JOIN sync_jobs j ON j.id = i.job_id
         WHERE i.user_id = ${v.userId} AND i.outcome <> 'SYNCED' ORDER BY i.created_at DESC LIMIT ${window})
      ) h
      ORDER BY at DESC, seq DESC
      LIMIT ${limit} OFFSET ${offset}`,
    db.$queryRaw<{ n: number }[]>`
      SELECT ((SELECT count(*) FROM audit_events WHERE user_id = ${v.userId})
            + (SELECT count(*) FROM sync_job_items WHERE user_id = ${v.userId} AND outcome <> 'SYNCED'))::int AS n`,
  ]);
  const items: HistoryEntry[] = rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    source: r.source,
    action: r.action,
    specializationId: r.specialization_id,
    before: r.before,
    after: r.after,
    reason: r.reason,
    syncJobId: r.sync_job_id,
  }));
  return { items, total: counts[0]?.n ?? 0 };
}
