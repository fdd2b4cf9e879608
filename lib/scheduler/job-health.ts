import type { Db, DbTx } from '../db/prisma';
import { SUCCESSFUL_JOB_STATUSES } from '../vocabulary';
import { toSummary } from '../sync';
import type { SyncJobSummary } from '../sync/types';
import { intervalAround, nextOccurrence, parseCron, schedulerConfigFromEnv, type SchedulerConfig } from './schedules';

/**
 * Is the sync job running on schedule? The old system had no way to tell; its 7-hour alarm
 * (6 h interval + 1 h) is the default here.
 *
 * - ON_SCHEDULE: a sync job finished SUCCEEDED or PARTIAL at `lastSuccessAt`, and `now` is not
 *   later than `overdueAfter` = lastSuccessAt + the SYNC_CRON interval around lastSuccessAt +
 *   SYNC_OVERDUE_GRACE_MINUTES. Exactly at `overdueAfter` it is still on schedule.
 * - OVERDUE: `now` is later than `overdueAfter`. FAILED and ABANDONED jobs do not count as a
 *   success, so a job that keeps failing becomes overdue too.
 * - NEVER_RUN: no sync job has ever finished SUCCEEDED or PARTIAL, and it is not late yet. The
 *   deadline is then counted the same way from the first time a scheduler started on this
 *   database (scheduler_state.first_started_at): a fresh install is not "overdue" the minute it
 *   starts, but a scheduler that starts and never manages a sync turns OVERDUE after one
 *   interval + grace. If no scheduler has ever started (SCHEDULER_ENABLED=false everywhere),
 *   there is nothing to be late against: NEVER_RUN with `overdueAfter` null.
 *
 * Reads stored rows only (sync_jobs, scheduler_state): cheap enough to poll.
 */

export type JobHealthState = 'ON_SCHEDULE' | 'OVERDUE' | 'NEVER_RUN';

export interface JobHealth {
  state: JobHealthState;
  lastSuccessAt: Date | null;
  /** The newest job that finished, whatever its status (SUCCEEDED, PARTIAL, FAILED, ABANDONED). */
  lastFinishedJob: SyncJobSummary | null;
  nextSyncAt: Date | null;
  nextHealthCheckAt: Date | null;
  overdueAfter: Date | null;
}

/** The job health under the configured schedules. */
export async function getJobHealth(db: Db, now: Date = new Date()): Promise<JobHealth> {
  return computeJobHealth(now, schedulerConfigFromEnv(), db);
}

/** getJobHealth with the configuration and client given (tests, other schedules). */
export async function computeJobHealth(
  now: Date,
  config: Pick<SchedulerConfig, 'crons' | 'timezone' | 'syncOverdueGraceMs'>,
  db: Db | DbTx,
): Promise<JobHealth> {
  const [lastSuccess, lastFinished, state] = await Promise.all([
    db.syncJob.findFirst({
      where: { status: { in: [...SUCCESSFUL_JOB_STATUSES] } },
      orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    }),
    db.syncJob.findFirst({
      where: { finishedAt: { not: null } },
      orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    }),
    db.schedulerState.findUnique({ where: { id: 1 } }),
  ]);

  const syncCron = parseCron(config.crons.SYNC, config.timezone);
  const healthCron = parseCron(config.crons.HEALTH_CHECK, config.timezone);
  const lastSuccessAt = lastSuccess?.finishedAt ?? null;
  const countFrom = lastSuccessAt ?? state?.firstStartedAt ?? null;
  const overdueAfter = countFrom ? deadlineAfter(countFrom, syncCron, config.syncOverdueGraceMs) : null;

  let jobState: JobHealthState;
  if (overdueAfter && now.getTime() > overdueAfter.getTime()) jobState = 'OVERDUE';
  else jobState = lastSuccessAt ? 'ON_SCHEDULE' : 'NEVER_RUN';

  return {
    state: jobState,
    lastSuccessAt,
    lastFinishedJob: lastFinished ? toSummary(lastFinished) : null,
    nextSyncAt: nextOccurrence(syncCron, now),
    nextHealthCheckAt: nextOccurrence(healthCron, now),
    overdueAfter,
  };
}

function deadlineAfter(from: Date, cron: ReturnType<typeof parseCron>, graceMs: number): Date | null {
  const interval = intervalAround(cron, from);
  return interval === null ? null : new Date(from.getTime() + interval + graceMs);
}
