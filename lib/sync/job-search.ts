import { z } from 'zod';
import type { Db } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import { SYNC_ITEM_OUTCOMES, SYNC_JOB_STATUSES, SYNC_TRIGGERS } from '../vocabulary';
import type { DesyncKind, SyncItemOutcome, SyncJobStatus, SyncTrigger } from '../vocabulary';
import { dateBoundSchema, learnerSearchSchema, offsetSchema } from './search-filters';
import { desyncKindSchema, writerSchema } from './validation';
import { distinctValues } from './distinct-values';

/**
 * The filters of the sync-job history and of one job's items (lib/sync/job-reads.ts reads them),
 * validated at the engine's boundary: whatever a page, the CLI or a test hands in is checked here.
 */

export interface SyncJobFilters {
  status?: SyncJobStatus;
  trigger?: SyncTrigger;
  /** Who started the job, exactly as recorded (a staff email, "cli", "scheduler"). */
  actor?: string;
  /** Started at or after this instant. */
  from?: Date;
  /** Started before this instant (exclusive: a day range's end is the next day's start). */
  before?: Date;
  /** Every job that touched a learner: an id (`42`, `#42`), or part of an email or name. */
  learner?: string;
}

export const listSyncJobsSchema = z.strictObject({
  status: z.enum(SYNC_JOB_STATUSES, { error: `must be one of ${SYNC_JOB_STATUSES.join(', ')}` }).optional(),
  trigger: z.enum(SYNC_TRIGGERS, { error: `must be one of ${SYNC_TRIGGERS.join(', ')}` }).optional(),
  actor: writerSchema.optional(),
  from: dateBoundSchema.optional(),
  before: dateBoundSchema.optional(),
  learner: learnerSearchSchema.optional(),
  offset: offsetSchema.optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export interface SyncJobItemFilters {
  outcome?: SyncItemOutcome;
  kind?: DesyncKind;
  /** The items of a learner: an id (`42`, `#42`), or part of an email or name. */
  learner?: string;
}

export const listSyncJobItemsSchema = z.strictObject({
  outcome: z.enum(SYNC_ITEM_OUTCOMES, { error: `must be one of ${SYNC_ITEM_OUTCOMES.join(', ')}` }).optional(),
  kind: desyncKindSchema.optional(),
  learner: learnerSearchSchema.optional(),
  offset: offsetSchema.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

/**
 * The history's filters over `sync_jobs j`. The learner filter is a semi-join on the learners'
 * items: per job an index-only probe of sync_job_items (job_id, user_id, id), or the learners'
 * items from (user_id, created_at); never a scan of a job's items, however many it holds.
 */
export function syncJobWhere(f: Omit<SyncJobFilters, 'learner'>, learnerIds: number[] | null): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (f.status) parts.push(Prisma.sql`j.status = ${f.status}::"SyncJobStatus"`);
  if (f.trigger) parts.push(Prisma.sql`j.trigger = ${f.trigger}::"SyncTrigger"`);
  if (f.actor) parts.push(Prisma.sql`j.actor = ${f.actor}`);
  if (f.from) parts.push(Prisma.sql`j.started_at >= ${f.from}::timestamptz`);
  if (f.before) parts.push(Prisma.sql`j.started_at < ${f.before}::timestamptz`);
  if (learnerIds) {
    parts.push(Prisma.sql`j.id IN (SELECT i.job_id FROM sync_job_items i WHERE i.user_id = ANY(${learnerIds}::int[]))`);
  }
  return parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, ' AND ')}` : Prisma.empty;
}

/** At most this many actors are offered as a filter (in practice: the staff, "cli" and "scheduler"). */
const MAX_ACTORS = 200;

/**
 * Who started sync jobs, for the history's "Started by" filter: a loose index scan of
 * (actor, started_at), one index probe per distinct actor, however many jobs each started.
 */
export async function listSyncJobActors(db: Db): Promise<string[]> {
  return distinctValues(db, 'sync_jobs', 'actor', MAX_ACTORS);
}

/**
 * The ids of one page of a job's items for some learners, in item order, and their count: per
 * learner, its first items from sync_job_items (job_id, user_id, id), merged. The planner is not
 * left to guess how many items a thousand learners have in a job of a million (a wrong guess walks
 * the whole job by id); each learner costs one index probe.
 */
export async function learnerItemPage(
  db: Db,
  jobId: number,
  f: Omit<SyncJobItemFilters, 'learner'>,
  learnerIds: number[],
  page: { offset: number; limit: number },
): Promise<{ ids: bigint[]; total: number }> {
  const parts: Prisma.Sql[] = [Prisma.sql`i.job_id = ${jobId}`, Prisma.sql`i.user_id = u.id`];
  if (f.outcome) parts.push(Prisma.sql`i.outcome = ${f.outcome}::"SyncItemOutcome"`);
  if (f.kind) parts.push(Prisma.sql`i.kind = ${f.kind}::"DesyncKind"`);
  const where = Prisma.join(parts, ' AND ');
  // "ORDER BY user_id, id" (user_id is fixed per learner, so it is the item order) is what
  // (job_id, user_id, id) returns as it is; "ORDER BY id" alone would tempt the planner to walk
  // (job_id, outcome, id) through the whole job for every learner.
  const [rows, count] = await Promise.all([
    db.$queryRaw<{ id: bigint }[]>`
      SELECT m.id FROM unnest(${learnerIds}::int[]) AS u(id)
      CROSS JOIN LATERAL (
        SELECT i.id FROM sync_job_items i WHERE ${where} ORDER BY i.user_id, i.id LIMIT ${page.offset + page.limit}
      ) m
      ORDER BY m.id LIMIT ${page.limit} OFFSET ${page.offset}`,
    db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM unnest(${learnerIds}::int[]) AS u(id)
      CROSS JOIN LATERAL (SELECT 1 FROM sync_job_items i WHERE ${where}) m`,
  ]);
  return { ids: rows.map((r) => r.id), total: count[0]?.n ?? 0 };
}
