import type pg from 'pg';
import { round, sleep } from './stats';

/** (6) The server's RSS while a scheduled sync job of every desync runs inside it. */

/** A 6-field cron expression (UTC) that fires once, at `at` (rounded to the second). */
export function cronAt(at: Date): string {
  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}

export interface ScheduledJob {
  id: number;
  found: number;
  status: string;
  startedAt: Date;
  finishedAt: Date;
  /** When the schedule's claim of the run finished (after the job's closing snapshot). */
  claimFinishedAt: Date;
}

/** Polls until the latest SCHEDULED sync job and its schedule claim have both finished. */
export async function waitForScheduledSync(c: pg.Client, timeoutMs = 15 * 60_000): Promise<ScheduledJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await c.query<{
      id: number;
      found: number;
      status: string;
      started_at: Date;
      finished_at: Date | null;
      claim_finished: Date | null;
    }>(
      `SELECT j.id, j.found, j.status, j.started_at, j.finished_at, r.finished_at AS claim_finished
       FROM sync_jobs j LEFT JOIN schedule_runs r ON r.sync_job_id = j.id AND r.schedule = 'SYNC'
       WHERE j.trigger = 'SCHEDULED' ORDER BY j.id DESC LIMIT 1`,
    );
    const r = rows[0];
    if (r?.finished_at && r.claim_finished) {
      return {
        id: r.id,
        found: r.found,
        status: r.status,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        claimFinishedAt: r.claim_finished,
      };
    }
    if (Date.now() > deadline) throw new Error(`The scheduled sync job did not finish within ${timeoutMs / 60_000} minutes.`);
    await sleep(200);
  }
}

/** The figures of the results file: peaks of the server's process tree before and during the job. */
export function memoryFigures(job: ScheduledJob, idle: { tree: number }, during: { tree: number; process: number; samples: number }) {
  return {
    jobId: job.id,
    jobStatus: job.status,
    jobFound: job.found,
    peakDuringSyncMiB: round(during.tree),
    peakServerProcessMiB: round(during.process),
    beforeSyncMiB: round(idle.tree),
    samples: during.samples,
  };
}
