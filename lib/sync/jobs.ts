import { getDb } from '../db/client';
import type { SyncJob } from '../generated/prisma/client';
import { writeAuditEvent } from './audit';
import { pgError, TX_OPTIONS, withRetry } from './db-errors';
import { detectDesyncs } from './detect-sql';
import { SyncError } from './errors';
import { runHealthCheck } from './health-check';
import { getLevelTables } from './levels';
import { applyDecisions, decide, lockAndLoad, loadPairs, outcomeOf, type Decision } from './repair';
import type { Actor, DesyncKind, PlannedRepair, SyncJobSummary, SyncPreview, SyncTrigger } from './types';
import { DESYNC_KINDS } from './types';
import { parseInput, reasonSchema } from './validation';
import { z } from 'zod';

/**
 * Sync jobs: find every current desync (set-based, from the tables themselves, not from the
 * last health check), repair them in batches, and record the job and one item per pair.
 * At most one job runs at a time anywhere: the partial unique index sync_jobs_one_running
 * refuses a second RUNNING row, whichever process or instance inserts it.
 */

export const DEFAULT_BATCH_SIZE = 1000;
const HEARTBEAT_MS = 5_000;

const jobOptionsSchema = z.object({
  trigger: z.enum(['SCHEDULED', 'MANUAL']),
  reason: reasonSchema,
  batchSize: z.number().int().min(1).max(10_000).optional(),
});

export interface SyncJobOptions {
  trigger: SyncTrigger;
  actor: Actor;
  reason?: string | null;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stops the job between batches (e.g. on SIGTERM): it ends FAILED with the reason, its slot freed. */
  signal?: AbortSignal;
}

export function toSummary(j: SyncJob): SyncJobSummary {
  return {
    id: j.id, status: j.status, trigger: j.trigger, actor: j.actor, reason: j.reason,
    startedAt: j.startedAt, finishedAt: j.finishedAt, heartbeatAt: j.heartbeatAt, durationMs: j.durationMs,
    found: j.found, total: j.total, done: j.done, synced: j.synced, failed: j.failed, reported: j.reported, error: j.error,
  };
}

interface FoundPair { userId: number; specializationId: string; kind: DesyncKind }

/** Every pair out of sync right now, in a stable order (specialization, learner). */
async function findDesyncedPairs(): Promise<FoundPair[]> {
  const { desyncs } = await getDb().$transaction((tx) => detectDesyncs(tx), { timeout: 600_000, maxWait: 60_000 });
  return desyncs
    .map((d) => ({ userId: d.userId, specializationId: d.specializationId, kind: d.kind }))
    .sort((a, b) => (a.specializationId < b.specializationId ? -1 : a.specializationId > b.specializationId ? 1 : a.userId - b.userId));
}

const emptyByKind = (): Record<DesyncKind, number> => Object.fromEntries(DESYNC_KINDS.map((k) => [k, 0])) as Record<DesyncKind, number>;

/** The dry run: what a sync job would do now, pair by pair. Writes nothing. */
export async function previewSync(opts: { limit?: number } = {}): Promise<SyncPreview> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 0), 100_000);
  const found = await findDesyncedPairs();
  const byKind = emptyByKind();
  for (const f of found) byKind[f.kind]++;
  const first = found.slice(0, limit);
  const [tables, loaded] = await Promise.all([
    getLevelTables(),
    loadPairs(getDb(), first.map((f) => f.userId), first.map((f) => f.specializationId)),
  ]);
  const items: PlannedRepair[] = loaded.map((p) => {
    const { action: _a, targetLevel: _t, ...planned } = decide(p, tables);
    return planned;
  });
  return { found: found.length, byKind, items };
}

async function describeRunning(): Promise<SyncError & { details?: { running?: unknown } }> {
  const running = await getDb().syncJob.findFirst({ where: { status: 'RUNNING' } });
  // The running job may have finished between our insert and this look-up: say so rather than
  // start again, so that two starts at the same moment never both run.
  const who = running ? `${running.actor} since ${running.startedAt.toISOString()}` : 'another process; it has just finished, try again';
  return new SyncError('ALREADY_RUNNING', `A sync job is already running (started by ${who}).`, {
    running: running ? { jobId: running.id, actor: running.actor, startedAt: running.startedAt } : undefined,
  });
}

/** Claims the single running slot or throws ALREADY_RUNNING naming who holds it. */
async function claimJob(opts: SyncJobOptions): Promise<SyncJob> {
  const v = parseInput(jobOptionsSchema, { trigger: opts.trigger, reason: opts.reason, batchSize: opts.batchSize });
  try {
    return await getDb().syncJob.create({
      data: { trigger: v.trigger, actor: opts.actor.label.slice(0, 320), actorUserId: opts.actor.userId ?? null, reason: v.reason ?? null },
    });
  } catch (err) {
    const { code, constraint } = pgError(err);
    if (code === '23505' && (constraint === undefined || constraint === 'sync_jobs_one_running')) throw await describeRunning();
    throw err;
  }
}

/** Runs a claimed job to its end; never throws (the outcome is recorded on the job). */
async function executeJob(job: SyncJob, opts: SyncJobOptions): Promise<SyncJobSummary> {
  const db = getDb();
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const actor: Actor = opts.actor;
  const started = job.startedAt.getTime();
  const heartbeat = setInterval(() => {
    void db.syncJob.updateMany({ where: { id: job.id, status: 'RUNNING' }, data: { heartbeatAt: new Date() } }).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref?.();
  try {
    const found = await findDesyncedPairs();
    await db.syncJob.update({ where: { id: job.id }, data: { found: found.length, total: found.length, heartbeatAt: new Date() } });
    await writeAuditEvent({ actor, action: 'SYNC_JOB_STARTED', syncJobId: job.id, reason: job.reason, after: { found: found.length } });
    const tables = await getLevelTables();
    let done = 0;
    opts.onProgress?.(0, found.length);
    for (let i = 0; i < found.length; i += batchSize) {
      if (opts.signal?.aborted) throw new SyncError('UNAVAILABLE', `it was cancelled (${String(opts.signal.reason ?? 'shutdown')}) after ${done} of ${found.length} pairs.`);
      const batch = found.slice(i, i + batchSize);
      try {
        await withRetry(() =>
          db.$transaction(async (tx) => {
            const loaded = await lockAndLoad(tx, batch);
            await applyDecisions(tx, loaded.map((p) => decide(p, tables)), { jobId: job.id, actor, auditAction: 'SYNC_JOB_REPAIR' });
          }, { ...TX_OPTIONS, timeout: 120_000 }),
        );
      } catch (batchError) {
        if (isConnectionLoss(batchError)) throw batchError;
        // One bad pair must not stop the others: redo this batch pair by pair.
        for (const pair of batch) await repairOneInJob(job.id, pair, actor, tables);
      }
      done += batch.length;
      opts.onProgress?.(done, found.length);
    }
    const counts = await db.syncJob.findUniqueOrThrow({ where: { id: job.id } });
    const status = counts.failed === 0 ? 'SUCCEEDED' : counts.synced > 0 ? 'PARTIAL' : 'FAILED';
    const finished = await finishJob(job.id, status, started, counts.failed ? `${counts.failed} pair(s) could not be repaired; see the job items.` : null);
    await writeAuditEvent({ actor, action: 'SYNC_JOB_FINISHED', syncJobId: job.id, after: { status, synced: finished.synced, failed: finished.failed, reported: finished.reported } }).catch(() => {});
    // Refresh the figures and the current-desync list so the dashboard shows the result at once.
    await runHealthCheck({ source: 'SYNC_JOB' }).catch(() => {});
    return toSummary(finished);
  } catch (err) {
    const message = `The sync job stopped: ${readableError(err)}`;
    // The connection that failed may have taken pooled siblings with it: try a few fresh ones.
    // If the database stays unreachable, the stale heartbeat lets the scheduler abandon the job.
    let failed: SyncJob | null = null;
    for (let attempt = 0; attempt < 5 && !failed; attempt++) {
      failed = await finishJob(job.id, 'FAILED', started, message).catch(() => null);
      if (!failed) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
    return failed ? toSummary(failed) : { ...toSummary(job), status: 'FAILED', error: message };
  } finally {
    clearInterval(heartbeat);
  }
}

function isConnectionLoss(err: unknown): boolean {
  const { code, message } = pgError(err);
  return code === '57P01' || code === '57P02' || code === '57P03' || code === '08006' || code === '08003' || /terminat|connection closed|closed the connection|ECONNRESET|ECONNREFUSED|Connection terminated/i.test(message ?? '');
}

function readableError(err: unknown): string {
  if (err instanceof SyncError) return err.message;
  const { code, message } = pgError(err);
  if (isConnectionLoss(err)) return `the database connection was lost (${code ?? 'connection closed'}).`;
  return (message ?? 'unexpected error').split('\n').filter(Boolean).at(-1)!.slice(0, 300);
}

async function finishJob(id: number, status: 'SUCCEEDED' | 'PARTIAL' | 'FAILED', startedMs: number, error: string | null) {
  return getDb().syncJob.update({
    where: { id },
    data: { status, finishedAt: new Date(), durationMs: Math.max(0, Date.now() - startedMs), error },
  });
}

async function repairOneInJob(jobId: number, pair: FoundPair, actor: Actor, tables: Awaited<ReturnType<typeof getLevelTables>>) {
  const db = getDb();
  let decision: Decision | undefined;
  try {
    await withRetry(() =>
      db.$transaction(async (tx) => {
        const [loaded] = await lockAndLoad(tx, [pair]);
        decision = decide(loaded!, tables);
        await applyDecisions(tx, [decision], { jobId, actor, auditAction: 'SYNC_JOB_REPAIR' });
      }, TX_OPTIONS),
    );
  } catch (err) {
    if (isConnectionLoss(err)) throw err;
    const d: Decision = decision ?? {
      userId: pair.userId, specializationId: pair.specializationId, email: null, kind: pair.kind, action: 'NONE', targetLevel: null,
      before: { progressLevel: null, licenseLevel: null, totalXp: null, completedSessions: null }, after: null,
    };
    await db.$transaction((tx) => applyDecisions(tx, [d], { jobId, actor, auditAction: 'SYNC_JOB_REPAIR', outcome: 'FAILED', error: readableError(err) }), TX_OPTIONS);
  }
}

/** Claims the slot and runs the job to its end in this call. */
export async function runSyncJob(opts: SyncJobOptions & { dryRun: true; previewLimit?: number }): Promise<SyncPreview>;
export async function runSyncJob(opts: SyncJobOptions & { dryRun?: false }): Promise<SyncJobSummary>;
export async function runSyncJob(opts: SyncJobOptions & { dryRun?: boolean; previewLimit?: number }): Promise<SyncJobSummary | SyncPreview> {
  if (opts.dryRun) return previewSync({ limit: opts.previewLimit ?? 100_000 });
  const job = await claimJob(opts);
  return executeJob(job, opts);
}

/** Claims the slot, returns the RUNNING job at once and repairs in the background of this process. */
export async function startSyncJob(opts: SyncJobOptions): Promise<SyncJobSummary> {
  const job = await claimJob(opts);
  void executeJob(job, opts);
  return toSummary(job);
}

export async function getRunningJob(): Promise<SyncJobSummary | null> {
  const j = await getDb().syncJob.findFirst({ where: { status: 'RUNNING' } });
  return j ? toSummary(j) : null;
}

export async function getSyncJob(id: number): Promise<SyncJobSummary | null> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return null;
  const j = await getDb().syncJob.findUnique({ where: { id } });
  return j ? toSummary(j) : null;
}

export async function listSyncJobs(opts: { offset?: number; limit?: number } = {}) {
  const db = getDb();
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
  outcome: ReturnType<typeof outcomeOf> | 'FAILED';
  error: string | null;
  createdAt: Date;
}

export async function listSyncJobItems(jobId: number, opts: { offset?: number; limit?: number } = {}) {
  const db = getDb();
  const take = Math.min(Math.max(opts.limit ?? 50, 1), 1000);
  const skip = Math.min(Math.max(opts.offset ?? 0, 0), 1_000_000_000);
  const [rows, total] = await Promise.all([
    db.syncJobItem.findMany({ where: { jobId }, orderBy: { id: 'asc' }, skip, take }),
    db.syncJobItem.count({ where: { jobId } }),
  ]);
  const users = await db.user.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.userId))] } }, select: { id: true, email: true } });
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

/** Marks RUNNING jobs whose heartbeat is older than the timeout ABANDONED, freeing the slot. */
export async function abandonStaleJobs(heartbeatTimeoutMs: number): Promise<SyncJobSummary[]> {
  const db = getDb();
  const cutoff = new Date(Date.now() - heartbeatTimeoutMs);
  const stale = await db.syncJob.findMany({ where: { status: 'RUNNING', heartbeatAt: { lt: cutoff } } });
  const abandoned: SyncJobSummary[] = [];
  for (const j of stale) {
    const now = new Date();
    const { count } = await db.syncJob.updateMany({
      where: { id: j.id, status: 'RUNNING', heartbeatAt: { lt: cutoff } },
      data: {
        status: 'ABANDONED',
        finishedAt: now,
        durationMs: now.getTime() - j.startedAt.getTime(),
        error: `No heartbeat since ${j.heartbeatAt.toISOString()}: the process running it stopped. Pairs it had not repaired are left for the next run.`,
      },
    });
    if (count) abandoned.push(toSummary({ ...j, status: 'ABANDONED', finishedAt: now }));
  }
  return abandoned;
}

/** Deletes health checks and finished jobs older than `olderThan`, keeping the latest of each. */
export async function pruneHistory(olderThan: Date): Promise<{ healthChecks: number; jobs: number }> {
  const db = getDb();
  const healthChecks = await db.$executeRaw`
    DELETE FROM health_checks h WHERE h.checked_at < ${olderThan}
      AND h.id <> (SELECT id FROM health_checks ORDER BY checked_at DESC, id DESC LIMIT 1)
      AND NOT EXISTS (SELECT 1 FROM current_desyncs d WHERE d.health_check_id = h.id)`;
  const jobs = await db.$executeRaw`
    DELETE FROM sync_jobs j WHERE j.status <> 'RUNNING' AND j.finished_at < ${olderThan}
      AND j.id <> (SELECT id FROM sync_jobs WHERE status <> 'RUNNING' ORDER BY finished_at DESC, id DESC LIMIT 1)`;
  return { healthChecks, jobs };
}
