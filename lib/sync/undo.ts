import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { trackWork } from '../shutdown';
import type { SyncJob } from '../generated/prisma/client';
import { TX_OPTIONS } from './db-errors';
import { SyncError } from './errors';
import { toSummary } from './job-reads';
import { claimJob, executeJob, type JobWork, type SyncJobOptions } from './jobs';
import { loadPairs, lockAndLoad, type ApplyContext } from './repair-sql';
import { decideUndo, type UndoDecision, type UndoneItem } from './undo-policy';
import { applyRestores } from './undo-sql';
import type { Actor, PairSnapshot, PlannedRepair, SyncJobSummary } from './types';
import { jobIdSchema, parseInput, reasonSchema } from './validation';

/**
 * Undo a finished job: a new job (trigger UNDO, linked to the original) that puts back the
 * before-image of every pair the original changed (its SYNCED items, in their order), where the
 * pair is still exactly as the original left it (lib/sync/undo-policy.ts); the others are
 * CONFLICT items, left alone. It runs in the single job slot like any sync job (batches, heartbeat,
 * cancel, fencing), and an undo job can itself be undone.
 */

export const undoJobSchema = z.strictObject({
  jobId: jobIdSchema,
  reason: reasonSchema.refine((r) => !!r, 'is required: say why the job is undone'),
});

interface UndoUnit {
  itemId: string;
  userId: number;
  specializationId: string;
  restoredBy: number | null;
}

/** Refuses what cannot be undone, with the reason; returns the job to undo. */
async function undoable(db: Db, jobId: number): Promise<SyncJob> {
  const job = await db.syncJob.findUnique({ where: { id: jobId } });
  if (!job) throw new SyncError('NOT_FOUND', `There is no sync job #${jobId}.`);
  if (job.status === 'RUNNING') throw new SyncError('CONFLICT', `Sync job #${jobId} is still running: cancel it or wait for it to end.`);
  if (job.synced === 0) throw new SyncError('CONFLICT', `Sync job #${jobId} changed no pair: there is nothing to undo.`);
  // Undone already: only the newest job of the chain still matches the pairs (versions), so the
  // way on is to undo that one, whether it put the changes back or took them away again.
  let last = await lastUndoOf(db, jobId);
  if (last) {
    let undos = 1;
    for (let next = await lastUndoOf(db, last.id); next && undos < 1000; next = await lastUndoOf(db, next.id), undos++) last = next;
    const state = undos % 2 ? 'its changes were undone' : 'its changes were put back';
    throw new SyncError('CONFLICT', `Sync job #${jobId} was already undone: ${state} by job #${last.id}. Undo job #${last.id} instead.`);
  }
  return job;
}

const lastUndoOf = (db: Db, jobId: number) =>
  db.syncJob.findFirst({
    where: { undoesJobId: jobId, status: { in: ['SUCCEEDED', 'PARTIAL'] }, synced: { gt: 0 } },
    orderBy: { id: 'desc' },
  });

/** The original's SYNCED items, in order: only their keys travel; images are read per batch. */
async function planUndo(db: Db, jobId: number): Promise<UndoUnit[]> {
  // Each with the earlier undo of this job that already put it back, if one did (then stopped).
  const rows = await db.$queryRaw<{ id: bigint; user_id: number; spec: string; restored_by: number | null }[]>`
    SELECT i.id, i.user_id, i.specialization_id AS spec,
           (SELECT u.id FROM sync_jobs u JOIN sync_job_items ui ON ui.job_id = u.id
            WHERE u.undoes_job_id = ${jobId} AND ui.outcome = 'SYNCED'
              AND ui.user_id = i.user_id AND ui.specialization_id = i.specialization_id
            ORDER BY u.id DESC LIMIT 1) AS restored_by
    FROM sync_job_items i WHERE i.job_id = ${jobId} AND i.outcome = 'SYNCED' ORDER BY i.id`;
  return rows.map((r) => ({ itemId: r.id.toString(), userId: r.user_id, specializationId: r.spec, restoredBy: r.restored_by }));
}

async function loadItems(tx: DbTx, units: UndoUnit[]): Promise<UndoneItem[]> {
  const ids = units.map((u) => BigInt(u.itemId));
  const rows = await tx.syncJobItem.findMany({ where: { id: { in: ids } } });
  const byId = new Map(rows.map((r) => [r.id.toString(), r]));
  return units.map((u) => {
    const r = byId.get(u.itemId)!;
    return {
      id: u.itemId,
      userId: r.userId,
      specializationId: r.specializationId,
      kind: r.kind,
      before: r.before as unknown as PairSnapshot,
      after: r.after as unknown as PairSnapshot | null,
      progressVersion: r.progressVersion,
      licenseVersion: r.licenseVersion,
      restoredBy: u.restoredBy,
    };
  });
}

/** Decides a batch on the pairs as they are now (locked by the caller for a real run). */
async function decideBatch(tx: DbTx, units: UndoUnit[], lock: Actor | null): Promise<UndoDecision[]> {
  const users = units.map((u) => u.userId);
  const specs = units.map((u) => u.specializationId);
  const [now, items] = await Promise.all([lock ? lockAndLoad(tx, lock, units) : loadPairs(tx, users, specs), loadItems(tx, units)]);
  return now.map((p, i) => decideUndo(p, items[i]!));
}

function undoWork(db: Db, job: SyncJob, original: SyncJob, actor: Actor): JobWork<UndoUnit> {
  const ctx: ApplyContext = { jobId: job.id, actor, auditAction: 'SYNC_JOB_UNDO' };
  return {
    plan: () => planUndo(db, original.id),
    started: { undoes: original.id },
    async batch(tx, units) {
      await applyRestores(tx, await decideBatch(tx, units, actor), ctx);
    },
    async failed(db, unit, error) {
      await db.$transaction(async (tx) => {
        const [d] = await decideBatch(tx, [unit], null);
        await applyRestores(tx, [d!], { ...ctx, outcome: 'FAILED', error });
      }, TX_OPTIONS);
    },
  };
}

export interface UndoJobOptions extends Omit<SyncJobOptions, 'trigger' | 'scope'> {
  jobId: number;
}

const asJob = (opts: UndoJobOptions): SyncJobOptions => ({ ...opts, trigger: 'UNDO' });

async function claimUndo(db: Db, opts: UndoJobOptions): Promise<{ job: SyncJob; original: SyncJob }> {
  const v = parseInput(undoJobSchema, { jobId: opts.jobId, reason: opts.reason });
  const original = await undoable(db, v.jobId);
  const job = await claimJob(db, { ...asJob(opts), reason: v.reason, undoesJobId: original.id });
  return { job, original };
}

/** Claims the slot and undoes the job in this call (the CLI, tests). */
export async function runUndoJob(db: Db, opts: UndoJobOptions): Promise<SyncJobSummary> {
  const { job, original } = await claimUndo(db, opts);
  return executeJob(db, job, asJob(opts), undoWork(db, job, original, opts.actor));
}

/** Claims the slot, returns the RUNNING undo job at once and undoes in the background of this process. */
export async function startUndoJob(db: Db, opts: UndoJobOptions): Promise<SyncJobSummary> {
  const { job, original } = await claimUndo(db, opts);
  void trackWork(executeJob(db, job, asJob(opts), undoWork(db, job, original, opts.actor)));
  return toSummary(job);
}

export interface UndoPlanned extends PlannedRepair {
  outcome: UndoDecision['outcome'];
  note: string | null;
}

export interface UndoPreview {
  jobId: number;
  /** The pairs the job changed (its SYNCED items). */
  changed: number;
  /** Would be put back / are conflicts / are already as the job found them. */
  restore: number;
  conflicts: number;
  unchanged: number;
  /** The first `limit` decisions, in the order the undo would apply them. */
  items: UndoPlanned[];
}

/** The undo's dry run: every pair decided as the undo would, on the pairs as they are now. Writes nothing. */
export async function previewUndo(db: Db, jobId: number, opts: { limit?: number } = {}): Promise<UndoPreview> {
  const original = await undoable(db, parseInput(jobIdSchema, jobId));
  const limit = Number.isInteger(opts.limit) ? Math.min(Math.max(opts.limit!, 0), 10_000) : 50;
  const units = await planUndo(db, original.id);
  const preview: UndoPreview = { jobId: original.id, changed: units.length, restore: 0, conflicts: 0, unchanged: 0, items: [] };
  for (let i = 0; i < units.length; i += 1000) {
    for (const d of await decideBatch(db, units.slice(i, i + 1000), null)) {
      if (d.outcome === 'SYNCED') preview.restore++;
      else if (d.outcome === 'CONFLICT') preview.conflicts++;
      else preview.unchanged++;
      if (preview.items.length < limit) {
        const { userId, specializationId, email, kind, before, after, outcome, note } = d;
        preview.items.push({ userId, specializationId, email, kind, before, after, outcome, note });
      }
    }
  }
  return preview;
}

/** The undo jobs of a job, newest first (its page links them). */
export async function listUndosOf(db: Db, jobId: number): Promise<{ id: number; status: SyncJob['status'] }[]> {
  return db.syncJob.findMany({ where: { undoesJobId: jobId }, orderBy: { id: 'desc' }, select: { id: true, status: true }, take: 20 });
}
