import { Cron } from 'croner';
import { env, type Env } from '../env';

/**
 * The schedules and the arithmetic on their occurrences. No I/O: the scheduler, job health and
 * tests share these functions so that "the occurrence at 12:00" means the same instant in every
 * instance (cron expressions are read in SCHEDULE_TIMEZONE, UTC by default).
 */

export { SCHEDULE_NAMES, type ScheduleName } from '../vocabulary';
import type { ScheduleName } from '../vocabulary';

/** Retention is housekeeping, not something to tune: hourly, off the hour. */
export const RETENTION_CRON = '17 * * * *';

/**
 * An occurrence is claimed when it is at most this late even with SCHEDULE_CATCH_UP_GRACE_MINUTES
 * at 0: a timer never fires on the exact millisecond, and a busy instance may wake a little late.
 */
export const ON_TIME_TOLERANCE_MS = 60_000;

export interface SchedulerConfig {
  crons: Record<ScheduleName, string>;
  timezone: string;
  /** How late an occurrence may still be claimed (catch-up after downtime). */
  catchUpGraceMs: number;
  /** A RUNNING sync job or claim with no heartbeat for this long is abandoned. */
  heartbeatTimeoutMs: number;
  retentionDays: number;
  syncOverdueGraceMs: number;
}

export function schedulerConfigFromEnv(e: Env = env()): SchedulerConfig {
  return {
    crons: { HEALTH_CHECK: e.HEALTH_CHECK_CRON, SYNC: e.SYNC_CRON, RETENTION: RETENTION_CRON, AUDIT: e.AUDIT_CRON },
    timezone: e.SCHEDULE_TIMEZONE,
    catchUpGraceMs: e.SCHEDULE_CATCH_UP_GRACE_MINUTES * 60_000,
    heartbeatTimeoutMs: e.JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    retentionDays: e.RETENTION_DAYS,
    syncOverdueGraceMs: e.SYNC_OVERDUE_GRACE_MINUTES * 60_000,
  };
}

/** A parsed cron expression, used only to compute occurrences (it never fires by itself). */
export function parseCron(pattern: string, timezone = 'UTC'): Cron {
  return new Cron(pattern, { paused: true, timezone });
}

/** The latest occurrence at or before `at` (croner's previousRuns excludes `at` itself). */
export function latestOccurrence(cron: Cron, at: Date): Date | null {
  return cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

/** The first occurrence strictly after `at`. */
export function nextOccurrence(cron: Cron, at: Date): Date | null {
  return cron.nextRun(at);
}

/**
 * The schedule's interval at `at`: the gap between the occurrence at or before it and the next
 * one. For regular expressions ("0 *\/6 * * *") it is the period; for irregular ones
 * ("0 9,17 * * *") it is the gap `at` falls in.
 */
export function intervalAround(cron: Cron, at: Date): number | null {
  const before = latestOccurrence(cron, at);
  const after = nextOccurrence(cron, at);
  if (!before || !after) return null;
  return after.getTime() - before.getTime();
}

/** How late an occurrence may be and still be claimed. */
export function claimWindowMs(config: Pick<SchedulerConfig, 'catchUpGraceMs'>): number {
  return Math.max(config.catchUpGraceMs, ON_TIME_TOLERANCE_MS);
}
