import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { log } from '../log';
import { trackWork } from '../shutdown';
import { Prisma, type SyncJob } from '../generated/prisma/client';
import { SyncTrigger } from '../vocabulary';
import { writeAuditEvent } from './audit';
import { isConnectionLoss, pgError, TX_OPTIONS, withRetry } from './db-errors';
import { alreadyRunningMessage, SyncError } from './errors';
import { recordHealthSnapshot } from './health-check';
import { toSummary } from './job-reads';
import { getLevelTables } from './levels';
import type { LevelTable } from './level-rules';
import { findDesyncedPairs, previewSync, type FoundPair } from './plan';
import { beat, finishJob, heartbeatIntervalMs, recordFound } from './job-rows';
import { decide, type Decision } from './repair';
import { applyDecisions, JobFencedError, lockAndLoad } from './repair-sql';
import { jobScopeSchema, type JobScope } from './scope';
import type { Actor, SyncJobSummary, SyncPreview } from './types';
import { parseInput, reasonSchema } from './validation';

/**
 * The sync job's lifecycle: claim the single running slot, repair every current desync in
 * batches, record the job and one item per pair, finish. At most one job runs at a time
 * anywhere: the partial unique index sync_jobs_one_running refuses a second RUNNING row,
 * whichever process or instance inserts it.
 */

export const DEFAULT_BATCH_SIZE = 1000;
/** JOB_HEARTBEAT_TIMEOUT_SECONDS' default, for callers that pass none. */
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 120_000;

const jobLog = log.child({ component: 'sync' });

const jobOptionsSchema = z.object({
  trigger: z.enum(SyncTrigger),
  reason: reasonSchema,
  batchSize: z.number().int().min(1).max(10_000).optional(),
  scope: jobScopeSchema.nullish(),
});

export interface SyncJobOptions {
  trigger: SyncTrigger;
  actor: Actor;
  reason?: string | null;
  batchSize?: number;
  /** Repair only these desyncs (lib/sync/scope.ts); every desync when unset. */
  scope?: JobScope | null;
  onProgress?: (done: number, total: number) => void;
  /** Stops the job between batches (e.g. on SIGTERM): it ends FAILED with the reason, its slot freed. */
  signal?: AbortSignal;
  /** After how long without a heartbeat others may abandon this job; its beats are derived from it. */
  heartbeatTimeoutMs?: number;
}

async function describeRunning(db: Db): Promise<SyncError> {
  const running = await db.syncJob.findFirst({ where: { status: 'RUNNING' } });
  // The running job may have finished between our insert and this look-up: say so rather than
  // start again, so that two starts at the same moment never both run.
  const info = running ? { jobId: running.id, actor: running.actor, startedAt: running.startedAt } : undefined;
  return new SyncError('ALREADY_RUNNING', alreadyRunningMessage(info, info?.startedAt.toISOString()), { running: info });
}

/** Claims the single running slot or throws ALREADY_RUNNING naming who holds it. */
export async function claimJob(db: Db, opts: SyncJobOptions & { undoesJobId?: number }): Promise<SyncJob> {
  const v = parseInput(jobOptionsSchema, { trigger: opts.trigger, reason: opts.reason, batchSize: opts.batchSize, scope: opts.scope });
  try {
    return await db.syncJob.create({
      data: {
        trigger: v.trigger,
        actor: opts.actor.label.slice(0, 320),
        actorUserId: opts.actor.userId ?? null,
        reason: v.reason ?? null,
        scope: v.scope ?? Prisma.DbNull,
        undoesJobId: opts.undoesJobId ?? null,
      },
    });
  } catch (err) {
    const { code, constraint } = pgError(err);
    if (code === '23505' && constraint === 'sync_jobs_one_undo') {
      throw new SyncError('CONFLICT', `Sync job #${opts.undoesJobId} is already being undone, or was just undone: see its page.`);
    }
    if (code === '23505' && (constraint === undefined || constraint === 'sync_jobs_one_running')) throw await describeRunning(db);
    throw err;
  }
}

/**
 * What a job does, unit by unit: a sync job repairs desynced pairs, an undo job puts pairs back
 * (lib/sync/undo.ts). The executor owns the rest: heartbeat, batches, fencing, the shutdown
 * signal, the pair-by-pair retry of a failed batch, and how the job ends.
 */
export interface JobWork<U> {
  /** The units to handle, in order; recorded as the job's `found`. */
  plan(): Promise<U[]>;
  /** Handles one batch in its own transaction: lock, decide, write, record. */
  batch(tx: DbTx, units: U[]): Promise<void>;
  /** Records one unit whose batch and own retry failed, with the readable error. */
  failed(db: Db, unit: U, error: string): Promise<void>;
  /** The audit payload of SYNC_JOB_STARTED besides `found`. */
  started?: Record<string, unknown>;
}

const BATCH_TX = { ...TX_OPTIONS, timeout: 120_000 };

type JobEndListener = (job: SyncJobSummary) => void;
const jobEndListeners = new Set<JobEndListener>();

/**
 * Calls `listener` with every job this process runs, once it has ended however it ended (the
 * alerts evaluate their incidents then). Returns the unsubscribe. A listener must not throw.
 */
export function onJobEnded(listener: JobEndListener): () => void {
  jobEndListeners.add(listener);
  return () => jobEndListeners.delete(listener);
}

/** Runs a claimed job to its end; never throws (the outcome is recorded on the job). */
export async function executeJob<U>(db: Db, job: SyncJob, opts: SyncJobOptions, work: JobWork<U>): Promise<SyncJobSummary> {
  const ended = await runJob(db, job, opts, work);
  for (const listener of jobEndListeners) listener(ended);
  return ended;
}

async function runJob<U>(db: Db, job: SyncJob, opts: SyncJobOptions, work: JobWork<U>): Promise<SyncJobSummary> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const actor: Actor = opts.actor;
  // Set when a beat finds the job no longer RUNNING (cancelled or abandoned): the next batch would be fenced anyway.
  let fenced = false;
  const heartbeat = setInterval(
    () => {
      beat(db, job.id).then(
        (alive) => (fenced ||= !alive),
        (err: unknown) => {
          // A missed beat is harmless; many in a row let the sweep abandon the job, as it should.
          jobLog.error({ jobId: job.id, error: readableError(err) }, 'heartbeat failed');
        },
      );
    },
    heartbeatIntervalMs(opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS),
  );
  heartbeat.unref?.();
  try {
    const found = await work.plan();
    if (!(await recordFound(db, job.id, found.length))) throw new JobFencedError(job.id);
    const startedAfter = { found: found.length, ...(job.scope ? { scope: job.scope } : {}), ...work.started };
    await writeAuditEvent(db, { actor, action: 'SYNC_JOB_STARTED', syncJobId: job.id, reason: job.reason, after: startedAfter });
    let done = 0;
    opts.onProgress?.(0, found.length);
    for (let i = 0; i < found.length; i += batchSize) {
      if (fenced) throw new JobFencedError(job.id);
      if (opts.signal?.aborted) {
        const why = String(opts.signal.reason ?? 'shutdown');
        throw new SyncError('UNAVAILABLE', `it was cancelled (${why}) after ${done} of ${found.length} pairs.`);
      }
      const batch = found.slice(i, i + batchSize);
      try {
        await withRetry(() => db.$transaction((tx) => work.batch(tx, batch), BATCH_TX));
      } catch (batchError) {
        if (isConnectionLoss(batchError) || batchError instanceof JobFencedError) throw batchError;
        // One bad pair must not stop the others: redo this batch pair by pair.
        for (const unit of batch) await handleOne(db, unit, work);
      }
      done += batch.length;
      opts.onProgress?.(done, found.length);
    }
    return await closeJob(db, job, actor);
  } catch (err) {
    if (err instanceof JobFencedError) return fencedSummary(await db.syncJob.findUniqueOrThrow({ where: { id: job.id } }));
    return failJob(db, job, `The sync job stopped: ${readableError(err)}`);
  } finally {
    clearInterval(heartbeat);
  }
}

async function handleOne<U>(db: Db, unit: U, work: JobWork<U>): Promise<void> {
  try {
    await withRetry(() => db.$transaction((tx) => work.batch(tx, [unit]), TX_OPTIONS));
  } catch (err) {
    if (isConnectionLoss(err) || err instanceof JobFencedError) throw err;
    await work.failed(db, unit, readableError(err));
  }
}

/** Ends a job whose batches all ran: its status from its counts, an audit line, a closing snapshot. */
async function closeJob(db: Db, job: SyncJob, actor: Actor): Promise<SyncJobSummary> {
  const counts = await db.syncJob.findUniqueOrThrow({ where: { id: job.id } });
  const status = counts.failed === 0 ? 'SUCCEEDED' : counts.synced > 0 ? 'PARTIAL' : 'FAILED';
  const error = counts.failed
    ? `${counts.failed} pair(s) could not be ${job.trigger === 'UNDO' ? 'put back' : 'repaired'}; see the job items.`
    : null;
  const { job: ended, finished } = await finishJob(db, job.id, status, error);
  if (!finished) return fencedSummary(ended);
  const after = { status, synced: ended.synced, failed: ended.failed, reported: ended.reported, conflicts: ended.conflicts };
  await writeAuditEvent(db, { actor, action: 'SYNC_JOB_FINISHED', syncJobId: job.id, after }).catch((err: unknown) => {
    // The job's own row already says how it ended; only the audit trail misses the line.
    jobLog.error({ jobId: job.id, error: readableError(err) }, 'could not record SYNC_JOB_FINISHED');
  });
  // A point on the trend right after the repairs (the set itself was kept by the judge at each commit).
  await recordHealthSnapshot(db, { source: 'SYNC_JOB' }).catch((err: unknown) => {
    // The next scheduled snapshot stores one instead.
    jobLog.error({ jobId: job.id, error: readableError(err) }, 'the closing snapshot failed');
  });
  return toSummary(ended);
}

/** A cancelled or abandoned job stops where it is: its row already says how it ended. */
function fencedSummary(row: SyncJob): SyncJobSummary {
  const by = row.status === 'CANCELLED' ? `cancelled by ${row.cancelledBy}` : `marked ${row.status} by another instance`;
  jobLog.warn({ jobId: row.id, done: row.done, total: row.total }, `job #${row.id} was ${by}; it stopped, its committed batches kept`);
  return toSummary(row);
}

/**
 * Records a job as FAILED. The connection that failed may have taken pooled siblings with it,
 * so a few fresh ones are tried; if the database stays unreachable, the stale heartbeat lets the
 * scheduler abandon the job.
 */
async function failJob(db: Db, job: SyncJob, message: string): Promise<SyncJobSummary> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ended = await finishJob(db, job.id, 'FAILED', message).catch(() => null);
    if (ended) return toSummary(ended.job);
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
  return { ...toSummary(job), status: 'FAILED', error: message };
}

function readableError(err: unknown): string {
  if (err instanceof SyncError) return err.message;
  const { code, message } = pgError(err);
  if (isConnectionLoss(err)) return `the database connection was lost (${code ?? 'connection closed'}).`;
  return (message ?? 'unexpected error').split('\n').filter(Boolean).at(-1)!.slice(0, 300);
}

/** A sync job's work: the desyncs in its scope, each re-decided under its lock by the repair policy. */
function syncWork(db: Db, job: SyncJob, actor: Actor, scope: JobScope | null): JobWork<FoundPair> {
  const ctx = { jobId: job.id, actor, auditAction: 'SYNC_JOB_REPAIR' } as const;
  let tables: Map<string, LevelTable> | undefined;
  return {
    async plan() {
      tables = await getLevelTables(db);
      return findDesyncedPairs(db, { scope });
    },
    async batch(tx, batch) {
      const loaded = await lockAndLoad(tx, actor, batch);
      await applyDecisions(
        tx,
        loaded.map((p, n) => decide(p, tables!, batch[n]?.kind)),
        ctx,
      );
    },
    async failed(db, pair, error) {
      const d: Decision = {
        userId: pair.userId,
        specializationId: pair.specializationId,
        email: null,
        kind: pair.kind,
        action: 'NONE',
        targetLevel: null,
        reason: null,
        before: { progressLevel: null, licenseLevel: null, totalXp: null, completedSessions: null },
        after: null,
      };
      await db.$transaction((tx) => applyDecisions(tx, [d], { ...ctx, outcome: 'FAILED', error }), TX_OPTIONS);
    },
  };
}

/** Claims the slot and runs the job to its end in this call. */
export async function runSyncJob(db: Db, opts: SyncJobOptions & { dryRun: true; previewLimit?: number }): Promise<SyncPreview>;
export async function runSyncJob(db: Db, opts: SyncJobOptions & { dryRun?: false }): Promise<SyncJobSummary>;
export async function runSyncJob(
  db: Db,
  opts: SyncJobOptions & { dryRun?: boolean; previewLimit?: number },
): Promise<SyncJobSummary | SyncPreview> {
  if (opts.dryRun) return previewSync(db, { limit: opts.previewLimit ?? 100_000, scope: parseInput(jobScopeSchema.nullish(), opts.scope) });
  const job = await claimJob(db, opts);
  return executeJob(db, job, opts, syncWork(db, job, opts.actor, toSummary(job).scope));
}

/** Claims the slot, returns the RUNNING job at once and repairs in the background of this process. */
export async function startSyncJob(db: Db, opts: SyncJobOptions): Promise<SyncJobSummary> {
  const job = await claimJob(db, opts);
  void trackWork(executeJob(db, job, opts, syncWork(db, job, opts.actor, toSummary(job).scope)));
  return toSummary(job);
}
