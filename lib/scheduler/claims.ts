import type { Db } from '../db/prisma';
import type { ScheduleName, ScheduleRunStatus } from '../vocabulary';

/**
 * Occurrence claims in schedule_runs. The unique (schedule, occurrence_at) decides which
 * instance runs an occurrence: INSERT ... ON CONFLICT DO NOTHING returns a row to exactly one
 * of them, however many try at once. Times written here come from the database's clock
 * (now()), so instances with slightly different clocks still agree on what is stale.
 */

export type FinalStatus = Exclude<ScheduleRunStatus, 'RUNNING'>;

export interface Claim {
  id: number;
  schedule: ScheduleName;
  occurrenceAt: Date;
}

/** Claims an occurrence for this instance; null when another instance already has it. */
export async function claimOccurrence(db: Db, schedule: ScheduleName, occurrenceAt: Date, instanceId: string): Promise<Claim | null> {
  const rows = await db.scheduleRun.createManyAndReturn({
    data: [{ schedule, occurrenceAt, instanceId }],
    skipDuplicates: true,
    select: { id: true, schedule: true, occurrenceAt: true },
  });
  return rows[0] ?? null;
}

/**
 * Keeps a claim alive while its task runs. Only a RUNNING claim: one the sweep already marked
 * ABANDONED stays so. Returns whether the claim was still RUNNING.
 */
export async function heartbeatClaim(db: Db, id: number): Promise<boolean> {
  return (await db.$executeRaw`UPDATE schedule_runs SET heartbeat_at = now() WHERE id = ${id} AND status = 'RUNNING'`) === 1;
}

/**
 * Records a claim's outcome, only while it is RUNNING: a claim the sweep marked ABANDONED (its
 * instance stopped heartbeating) keeps that verdict, whatever the late finisher says. Returns
 * whether the claim was still RUNNING; the caller logs when it was not.
 */
export async function finishClaim(
  db: Db,
  id: number,
  result: { status: FinalStatus; detail?: string | null; syncJobId?: number | null; healthCheckId?: number | null },
): Promise<boolean> {
  const detail = result.detail ? result.detail.slice(0, 1000) : null;
  const updated = await db.$executeRaw`
    UPDATE schedule_runs
       SET status = ${result.status}::"ScheduleRunStatus", finished_at = now(), detail = ${detail},
           sync_job_id = ${result.syncJobId ?? null}, health_check_id = ${result.healthCheckId ?? null}
     WHERE id = ${id} AND status = 'RUNNING'`;
  return updated === 1;
}

/**
 * Marks RUNNING claims whose instance stopped heartbeating ABANDONED (the process crashed or was
 * killed). The work itself is repaired elsewhere: a half-done sync job is abandoned by the
 * engine's abandonStaleJobs and the next occurrence runs normally.
 */
export async function abandonStaleClaims(
  db: Db,
  heartbeatTimeoutMs: number,
): Promise<{ id: number; schedule: ScheduleName; occurrenceAt: Date; instanceId: string }[]> {
  const seconds = Math.max(heartbeatTimeoutMs, 0) / 1000;
  return db.$queryRaw`
    UPDATE schedule_runs
       SET status = 'ABANDONED', finished_at = now(),
           detail = 'No heartbeat from ' || instance_id
                    || ' since ' || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                    || ': the instance stopped while running it.'
     WHERE status = 'RUNNING' AND heartbeat_at < now() - make_interval(secs => ${seconds}::double precision)
     RETURNING id, schedule::text AS schedule, occurrence_at AS "occurrenceAt", instance_id AS "instanceId"`;
}

/** Records when a scheduler first started on this database (kept on later starts) and returns it. */
export async function recordFirstStart(db: Db): Promise<Date> {
  // The SELECT does not see the row the INSERT adds (same snapshot): exactly one row comes back.
  const rows = await db.$queryRaw<{ first_started_at: Date }[]>`
    WITH inserted AS (
      INSERT INTO scheduler_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING RETURNING first_started_at
    )
    SELECT first_started_at FROM inserted
    UNION ALL
    SELECT first_started_at FROM scheduler_state WHERE id = 1`;
  return rows[0]!.first_started_at;
}

/**
 * Deletes finished claims whose occurrence is older than `olderThan`, never one whose occurrence
 * is newer than `claimableAfter` (now minus the claim window): that claim is what keeps the
 * occurrence from being claimed, and run, a second time (see runRetention).
 */
export async function pruneClaims(db: Db, olderThan: Date, claimableAfter: Date): Promise<number> {
  const cutoff = new Date(Math.min(olderThan.getTime(), claimableAfter.getTime()));
  return db.$executeRaw`DELETE FROM schedule_runs WHERE status <> 'RUNNING' AND occurrence_at < ${cutoff}`;
}
