import type { Db } from '../db/prisma';
import type { SyncJob, SyncJobItem } from '../generated/prisma/client';
import {
  learnerItemPage,
  listSyncJobItemsSchema,
  listSyncJobsSchema,
  syncJobWhere,
  type SyncJobFilters,
  type SyncJobItemFilters,
} from './job-search';
import { parseStoredScope } from './scope';
import { resolveLearnerSearch } from './search-filters';
import type { PlannedRepair, SyncItemOutcome, SyncJobSummary } from './types';
import { jobIdSchema, parseInput } from './validation';

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

/**
 * One page of the sync-job history, newest first, filtered (lib/sync/job-search.ts). Validated
 * here: bad input is a SyncError VALIDATION; a learner search that names no learner is an empty
 * page. `learnersCapped`: the learner search matched more than MAX_LEARNER_MATCHES learners and
 * only the first of them (by id) were searched.
 */
export async function listSyncJobs(
  db: Db,
  opts: SyncJobFilters & { offset?: number; limit?: number } = {},
): Promise<{ items: SyncJobSummary[]; total: number; learnersCapped: boolean }> {
  const { learner, offset, limit, ...filters } = parseInput(listSyncJobsSchema, opts);
  const match = await resolveLearnerSearch(db, learner);
  if (match && !match.ids.length) return { items: [], total: 0, learnersCapped: false };
  const where = syncJobWhere(filters, match?.ids ?? null);
  const [page, count] = await Promise.all([
    db.$queryRaw<{ id: number }[]>`
      SELECT j.id FROM sync_jobs j ${where}
      ORDER BY j.started_at DESC, j.id DESC LIMIT ${limit ?? 25} OFFSET ${offset ?? 0}`,
    db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM sync_jobs j ${where}`,
  ]);
  const ids = page.map((r) => r.id);
  const rows = ids.length ? await db.syncJob.findMany({ where: { id: { in: ids } } }) : [];
  const byId = new Map(rows.map((j) => [j.id, j]));
  // A job pruned between the two reads is left out.
  const items = ids.flatMap((id) => {
    const j = byId.get(id);
    return j ? [toSummary(j)] : [];
  });
  return { items, total: count[0]?.n ?? 0, learnersCapped: match?.capped ?? false };
}

export interface SyncJobItemRow extends PlannedRepair {
  id: string;
  outcome: SyncItemOutcome;
  error: string | null;
  createdAt: Date;
}

/**
 * One page of a job's items in the order they were written, filtered by outcome, kind and learner
 * (read from sync_job_items (job_id, outcome, id), or (job_id, user_id, id) per learner).
 * `learnersCapped` as for listSyncJobs.
 */
export async function listSyncJobItems(
  db: Db,
  jobId: number,
  opts: SyncJobItemFilters & { offset?: number; limit?: number } = {},
): Promise<{ items: SyncJobItemRow[]; total: number; learnersCapped: boolean }> {
  const id = parseInput(jobIdSchema, jobId);
  const v = parseInput(listSyncJobItemsSchema, opts);
  const match = await resolveLearnerSearch(db, v.learner);
  if (match && !match.ids.length) return { items: [], total: 0, learnersCapped: false };
  const limit = v.limit ?? 50;
  const offset = v.offset ?? 0;
  let rows: SyncJobItem[];
  let total: number;
  if (match) {
    const page = await learnerItemPage(db, id, v, match.ids, { offset, limit });
    const found = page.ids.length ? await db.syncJobItem.findMany({ where: { id: { in: page.ids } } }) : [];
    const byId = new Map(found.map((r) => [r.id, r]));
    rows = page.ids.flatMap((i) => byId.get(i) ?? []);
    total = page.total;
  } else {
    const where = { jobId: id, ...(v.outcome ? { outcome: v.outcome } : {}), ...(v.kind ? { kind: v.kind } : {}) };
    [rows, total] = await Promise.all([
      db.syncJobItem.findMany({ where, orderBy: { id: 'asc' }, skip: offset, take: limit }),
      db.syncJobItem.count({ where }),
    ]);
  }
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
  return { items, total, learnersCapped: match?.capped ?? false };
}
