import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../db/prisma';
import type { ScheduleName, SchedulerConfig } from './schedules';
import type { ScheduleTask, TaskResult } from './tasks';
import { log } from '../log';

/** The scheduler's public shape, its options and its logger (lib/scheduler/scheduler.ts builds it). */

export interface RunOutcome {
  schedule: ScheduleName;
  occurrenceAt: Date;
  claimId: number;
  status: TaskResult['status'];
  detail: string | null;
  syncJobId: number | null;
  healthCheckId: number | null;
}

export interface SchedulerLogger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export interface SchedulerOptions {
  db: Db;
  config: SchedulerConfig;
  /** Which schedules this scheduler runs (default: all). */
  schedules?: readonly ScheduleName[];
  tasks?: Partial<Record<ScheduleName, ScheduleTask>>;
  instanceId?: string;
  /** The production clock; tick() takes its own. */
  clock?: () => Date;
  log?: SchedulerLogger;
  /**
   * The process's shutdown signal (lib/shutdown.ts; the app passes it): aborting it stops the
   * scheduler as stop() does, and a running task gets it with the scheduler's own.
   */
  signal?: AbortSignal;
  /** How long a stop by `signal` waits for the runs in flight before releasing their claims (default 0). */
  stopWaitMs?: number;
  /**
   * How long an instance still running a schedule's previous occurrence waits before it claims
   * the next one to record it SKIPPED, so that a free instance runs it first (default 1 s).
   */
  busyYieldMs?: number;
}

export interface Scheduler {
  readonly instanceId: string;
  /** Sweeps stale work, then claims and runs every schedule's due occurrence; resolves when they finish. */
  tick(now?: Date): Promise<RunOutcome[]>;
  /** Claims and runs one schedule's due occurrence, if any and if this instance wins it. */
  runDue(schedule: ScheduleName, now?: Date): Promise<RunOutcome | null>;
  /** Abandons sync jobs and claims whose heartbeat is older than the timeout. */
  sweep(): Promise<{ jobs: number; claims: number }>;
  /** The occurrence `tick(now)` would consider for a schedule, or null if none is claimable. */
  dueOccurrence(schedule: ScheduleName, now: Date): Date | null;
  nextOccurrence(schedule: ScheduleName, after: Date): Date | null;
  /** Starts the timers (production). Idempotent. */
  start(): Promise<void>;
  /** Stops the timers; in-flight runs are awaited up to `waitMs`, then their claims are released as ABANDONED. */
  stop(opts?: { waitMs?: number }): Promise<void>;
}

const schedulerLog = log.child({ component: 'scheduler' });

/** The scheduler's lines in the app's log (lib/log.ts). */
export const appLogger: SchedulerLogger = {
  info: (m) => schedulerLog.info(m),
  error: (m, err) => schedulerLog.error({ err }, m),
};

export function newInstanceId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
