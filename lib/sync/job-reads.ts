import type { Db } from '../db/prisma';
import type { SyncJob } from '../generated/prisma/client';
import { parseStoredScope } from './scope';
import type { PlannedRepair, SyncItemOutcome, SyncJobSummary } from './types';

/** Reads of sync jobs and their items, for the pages, the API, the CLI and the metrics. */

export function toSummary(j: SyncJob): SyncJobSummary {
  return {
    id: j.id,
    status: j.status,
    trigger: j.trigger,
    actor: j.actor,
    reason: j.reason,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    heartbeatAt: j.heartbeatAt,
    durationMs: j.durationMs,
    found: j.found,
    total: j.total,
    done: j.done,
    synced: j.synced,
    failed: j.failed,
    reported: j.reported,
    conflicts: j.conflicts,
    error: j.error,
    scope: parseStoredScope(j.scope),
    undoesJobId: j.undoesJobId,
    cancelledBy: j.cancelledBy,
  };
}

export async function getRunningJob(db: Db): Promise<SyncJobSummary | null> {
  const j = await db.syncJob.findFirst({ where: { status: 'RUNNING' } });
  return j ? toSummary(j) : null;
}

export async function getSyncJob(db: Db, id: number): Promise<SyncJobSummary | null> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return null;
  const j = await db.syncJob.findUnique({ where: { id } });
  return j ? toSummary(j) : null;
}

export async function listSyncJobs(db: Db, opts: { offset?: number; limit?: number } = {}) {
  const take = Math.min(Math.max(opts.limit ?? 25, 1), 500);
  const skip = Math.min(Math.max(opts.offset ?? 0, 0), 1_000_000_000);
  const [rows, total] = await Promise.all([
    db.syncJob.findMany({ orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], skip, take }),
    db.syncJob.count(),
  ]);
  return { items: rows.map(toSummary), total };
}

export interface SyncJobItemRow extends PlannedRepair {
  id: string;
  outcome: SyncItemOutcome;
  error: string | null;
  createdAt: Date;
}

export async function listSyncJobItems(db: Db, jobId: number, opts: { offset?: number; limit?: number } = {}) {
  const take = Math.min(Math.max(opts.limit ?? 50, 1), 1000);
  const skip = Math.min(Math.max(opts.offset ?? 0, 0), 1_000_000_000);
  const [rows, total] = await Promise.all([
    db.syncJobItem.findMany({ where: { jobId }, orderBy: { id: 'asc' }, skip, take }),
    db.syncJobItem.count({ where: { jobId } }),
  ]);
  const users = await db.user.findMany({
    where: { id: { in: [...new Set(rows.map((r) => r.userId))] } },
    select: { id: true, email: true },
  });
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const items: SyncJobItemRow[] = rows.map((r) => ({
    id: r.id.toString(),
    userId: r.userId,
    specializationId: r.specializationId,
    email: emails.get(r.userId) ?? null,
    kind: r.kind,
    before: r.before as unknown as PlannedRepair['before'],
    after: r.after as unknown as PlannedRepair['after'],
    outcome: r.outcome,
    error: r.error,
    createdAt: r.createdAt,
  }));
  return { items, total };
}
