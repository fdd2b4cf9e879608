import type { Db } from '../db/prisma';
import type { SyncJob } from '../generated/prisma/client';
import { toSummary } from './job-reads';
import { SyncError } from './errors';
import type { Actor, SyncJobSummary } from './types';
import { jobIdSchema, parseInput } from './validation';

/**
 * Writes to a sync job's own row. Every time comes from the database's clock (clock_timestamp(),
 * the moment of the statement, not the transaction's start), so instances with skewed clocks and
 * batches that waited on locks agree on how old a heartbeat is; and every write after the claim
 * is fenced: it changes the row only WHERE status = 'RUNNING', so a job another instance marked
 * ABANDONED cannot revive itself or rewrite how it ended.
 */

/**
 * How often a running job beats, from the timeout after which others may abandon it: four
 * beats per timeout, between 1 s and 30 s. lib/env.ts refuses timeouts too short for that.
 */
export function heartbeatIntervalMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(1000, Math.floor(timeoutMs / 4)));
}

/** One beat; false when the job is no longer RUNNING (it was abandoned). */
export async function beat(db: Db, jobId: number): Promise<boolean> {
  const n = await db.$executeRaw`UPDATE sync_jobs SET heartbeat_at = clock_timestamp() WHERE id = ${jobId} AND status = 'RUNNING'`;
  return n > 0;
}

/** Records how many pairs the job found; false when it is no longer RUNNING. */
export async function recordFound(db: Db, jobId: number, found: number): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE sync_jobs SET found = ${found}, total = ${found}, heartbeat_at = clock_timestamp()
    WHERE id = ${jobId} AND status = 'RUNNING'`;
  return n > 0;
}

/**
 * Ends a RUNNING job with `status`; returns the row as it now is (unchanged, e.g. ABANDONED,
 * when the job was no longer RUNNING).
 */
export async function finishJob(
  db: Db,
  jobId: number,
  status: 'SUCCEEDED' | 'PARTIAL' | 'FAILED',
  error: string | null,
): Promise<{ job: SyncJob; finished: boolean }> {
  const n = await db.$executeRaw`
    UPDATE sync_jobs SET status = ${status}::"SyncJobStatus", finished_at = clock_timestamp(), error = ${error},
           duration_ms = greatest(0, round(extract(epoch FROM clock_timestamp() - started_at) * 1000))::int
    WHERE id = ${jobId} AND status = 'RUNNING'`;
  return { job: await db.syncJob.findUniqueOrThrow({ where: { id: jobId } }), finished: n > 0 };
}

/** Marks RUNNING jobs whose heartbeat is older than the timeout (by the database's clock) ABANDONED, freeing the slot. */
export async function abandonStaleJobs(db: Db, heartbeatTimeoutMs: number): Promise<SyncJobSummary[]> {
  const seconds = heartbeatTimeoutMs / 1000;
  const ids = await db.$queryRaw<{ id: number }[]>`
    UPDATE sync_jobs SET status = 'ABANDONED', finished_at = clock_timestamp(),
           duration_ms = greatest(0, round(extract(epoch FROM clock_timestamp() - started_at) * 1000))::int,
           error = 'No heartbeat since ' || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                   || ': the process running it stopped. Pairs it had not repaired are left for the next run.'
    WHERE status = 'RUNNING' AND heartbeat_at < clock_timestamp() - make_interval(secs => ${seconds}::double precision)
    RETURNING id`;
  if (!ids.length) return [];
  const rows = await db.syncJob.findMany({ where: { id: { in: ids.map((r) => r.id) } }, orderBy: { id: 'asc' } });
  return rows.map(toSummary);
}

/**
 * Cancels a RUNNING job at once, whichever instance runs it: the row says CANCELLED (who, when)
 * and the slot is free. The job's own writes are fenced on status = 'RUNNING', so the batch in
 * flight rolls back and it stops there; every batch it committed before is kept with its items.
 */
export async function cancelSyncJob(db: Db, jobId: number, actor: Actor): Promise<SyncJobSummary> {
  const id = parseInput(jobIdSchema, jobId);
  const reason = `cancelled by ${actor.label}`.slice(0, 500);
  // One statement: it may wait for a batch that holds the job's row until its commit, as long as
  // that takes (no interactive transaction's timeout), and the audit line commits with the cancel.
  const [row] = await db.$queryRaw<{ n: number }[]>`
    WITH c AS (
      UPDATE sync_jobs SET status = 'CANCELLED', cancelled_by = ${actor.label.slice(0, 320)}, error = ${reason},
             finished_at = clock_timestamp(),
             duration_ms = greatest(0, round(extract(epoch FROM clock_timestamp() - started_at) * 1000))::int
      WHERE id = ${id} AND status = 'RUNNING'
      RETURNING id, done, total, synced, failed),
    a AS (
      INSERT INTO audit_events (actor, actor_user_id, action, source, sync_job_id, after)
      SELECT ${actor.label.slice(0, 320)}, ${actor.userId ?? null}::int, 'SYNC_JOB_CANCELLED', ${actor.source}::"AuditSource", c.id,
             jsonb_build_object('done', c.done, 'total', c.total, 'synced', c.synced, 'failed', c.failed)
      FROM c RETURNING 1)
    SELECT (SELECT count(*) FROM c)::int AS n, (SELECT count(*) FROM a)::int AS audited`;
  const job = await db.syncJob.findUnique({ where: { id } });
  if (!job) throw new SyncError('NOT_FOUND', `There is no sync job #${id}.`);
  if (!row?.n) {
    const when = job.finishedAt ? ` at ${job.finishedAt.toISOString()}` : '';
    throw new SyncError('CONFLICT', `Sync job #${id} already ended (${job.status}${when}): there is nothing to cancel.`);
  }
  return toSummary(job);
}
