import { pruneAlerts } from '../alerts/maintenance';
import { evaluateIncidentsNow } from '../alerts/service';
import { IDEMPOTENCY_RETENTION_MS, pruneIdempotencyKeys } from '../api/idempotency';
import type { Db } from '../db/prisma';
import {
  abandonStaleJobs,
  alreadyRunningMessage,
  compactCounters,
  expireFutureLicenses,
  isSyncError,
  pruneHistory,
  recordHealthSnapshot,
  requestedAudit,
  runFullAudit,
  runSyncJob,
  type Actor,
} from '../sync';
import { pruneClaims } from './claims';
import type { ScheduleRunStatus } from '../vocabulary';
import { claimWindowMs, type ScheduleName, type SchedulerConfig } from './schedules';

/** What the scheduler does at each occurrence, through the same engine functions as the UI and CLI. */

export const SCHEDULER_ACTOR: Actor = { label: 'scheduler', source: 'SYNC_JOB' };

export interface TaskContext {
  schedule: ScheduleName;
  occurrenceAt: Date;
  /** The scheduler's clock when it claimed the occurrence. */
  now: Date;
  config: SchedulerConfig;
  db: Db;
  instanceId: string;
  /** Aborted when the instance shuts down: long tasks stop between steps. */
  signal?: AbortSignal;
}

export interface TaskResult {
  status: Extract<ScheduleRunStatus, 'SUCCEEDED' | 'SKIPPED' | 'FAILED'>;
  detail?: string;
  syncJobId?: number;
  healthCheckId?: number;
}

export type ScheduleTask = (ctx: TaskContext) => Promise<TaskResult>;

/**
 * The HEALTH_CHECK schedule: a snapshot of the maintained figures for the trend (constant time),
 * after the clock's part of detection (licenses whose future start has come) and counter
 * compaction. When a TRUNCATE or the migration asked for one, a full audit runs instead, at once.
 */
export const runScheduledHealthCheck: ScheduleTask = async (ctx) => {
  const expired = await expireFutureLicenses(ctx.db);
  await compactCounters(ctx.db);
  const requested = await requestedAudit(ctx.db);
  const s = requested ? await runFullAudit(ctx.db, { source: 'SYNC_JOB' }) : await recordHealthSnapshot(ctx.db, { source: 'SYNC_JOB' });
  // A new point on the figures: the incidents follow it (lib/alerts), without holding up the run.
  void evaluateIncidentsNow(ctx.db);
  const audit = requested ? `full audit (${requested.reason}): drift ${s.drift}; ` : '';
  const clock = expired ? `; ${expired} future license start(s) reached` : '';
  return {
    status: 'SUCCEEDED',
    healthCheckId: s.id ?? undefined,
    detail: `${audit}${s.consistentPairs} of ${s.totalPairs} pairs consistent, ${s.orphans} orphan(s)${clock}`,
  };
};

/** The AUDIT schedule: the full pass, comparing the maintained set with the tables and repairing it. */
export const runScheduledAudit: ScheduleTask = async (ctx) => {
  const s = await runFullAudit(ctx.db, { source: 'SYNC_JOB' });
  void evaluateIncidentsNow(ctx.db);
  return {
    status: 'SUCCEEDED',
    healthCheckId: s.id ?? undefined,
    detail: `drift ${s.drift}: ${s.consistentPairs} of ${s.totalPairs} consistent`,
  };
};

export const runScheduledSync: ScheduleTask = async (ctx) => {
  // A job left RUNNING by a dead process holds the single slot until someone notices.
  await abandonStaleJobs(ctx.db, ctx.config.heartbeatTimeoutMs);
  try {
    const opts = {
      trigger: 'SCHEDULED',
      actor: SCHEDULER_ACTOR,
      signal: ctx.signal,
      heartbeatTimeoutMs: ctx.config.heartbeatTimeoutMs,
    } as const;
    const job = await runSyncJob(ctx.db, opts);
    const counts = `found ${job.found}, synced ${job.synced}, failed ${job.failed}, reported ${job.reported}`;
    return {
      status: job.status === 'FAILED' ? 'FAILED' : 'SUCCEEDED',
      syncJobId: job.id,
      detail: job.error ? `job #${job.id} ${job.status}: ${counts}. ${job.error}` : `job #${job.id} ${job.status}: ${counts}`,
    };
  } catch (err) {
    // Someone (a manual sync, a slow previous run) holds the slot: this occurrence is skipped,
    // recorded once, not retried in a loop.
    if (isSyncError(err, 'ALREADY_RUNNING')) {
      const r = err.details?.running;
      return { status: 'SKIPPED', syncJobId: r?.jobId, detail: alreadyRunningMessage(r, r?.startedAt.toISOString()) };
    }
    throw err;
  }
};

/** Instances' clocks differ a little (NTP keeps them far closer): claims are kept this much longer. */
const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

export const runRetention: ScheduleTask = async (ctx) => {
  const olderThan = new Date(ctx.now.getTime() - ctx.config.retentionDays * 86_400_000);
  const pruned = await pruneHistory(ctx.db, olderThan);
  const alerts = await pruneAlerts(ctx.db, olderThan);
  // A claim is what makes its occurrence run once: it is kept while any instance could still
  // claim the occurrence (within the catch-up grace), whatever the retention says. lib/env.ts
  // also refuses a grace that is not shorter than the retention.
  const claimableAfter = new Date(ctx.now.getTime() - claimWindowMs(ctx.config) - CLOCK_SKEW_MARGIN_MS);
  const claims = await pruneClaims(ctx.db, olderThan, claimableAfter);
  const counts =
    `${pruned.healthChecks} health check(s), ${pruned.jobs} job(s), ${pruned.pairEvents} pair event(s), ` +
    `${alerts.incidents} incident(s), ${alerts.deliveries} test deliver(ies), ${alerts.windows} maintenance window(s), ` +
    `${claims} schedule run(s)`;
  // The write API's Idempotency-Keys are kept 24 hours, whatever RETENTION_DAYS says.
  const keys = await pruneIdempotencyKeys(ctx.db, new Date(ctx.now.getTime() - IDEMPOTENCY_RETENTION_MS));
  return {
    status: 'SUCCEEDED',
    detail: `pruned ${counts} older than ${olderThan.toISOString()}; ${keys} idempotency key(s) older than 24 h`,
  };
};

export const DEFAULT_TASKS: Record<ScheduleName, ScheduleTask> = {
  HEALTH_CHECK: runScheduledHealthCheck,
  SYNC: runScheduledSync,
  RETENTION: runRetention,
  AUDIT: runScheduledAudit,
};
