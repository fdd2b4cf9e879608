import type { JobHealth } from '@/lib/scheduler/job-health';
import type { WriterCount } from '@/lib/sync/attribution';
import type { HealthSnapshot, SyncJobSummary } from '@/lib/sync/types';
import type { ForeignWrites } from '@/lib/vocabulary';

/**
 * JSON-shaped views of engine results for the browser: dates as ISO strings, so the server
 * render, the /api/dashboard response and react-query's cache all hold the same shape.
 */

/** A health check as JSON: the engine's snapshot with its time as an ISO string. */
export type HealthDto = Omit<HealthSnapshot, 'checkedAt'> & { checkedAt: string };

/** The latest full audit, as the dashboard shows it. */
export type AuditDto = Pick<HealthDto, 'id' | 'checkedAt' | 'durationMs' | 'drift'>;

/** A sync job as JSON: the engine's summary with its times as ISO strings (no heartbeat). */
export type JobDto = Omit<SyncJobSummary, 'startedAt' | 'finishedAt' | 'heartbeatAt'> & {
  startedAt: string;
  finishedAt: string | null;
};

/** The sync schedule's health as JSON: the engine's JobHealth, its times as ISO strings. */
export type JobHealthDto = Pick<JobHealth, 'state'> &
  Record<'lastSuccessAt' | 'nextSyncAt' | 'nextHealthCheckAt' | 'overdueAfter', string | null>;

export interface DashboardData {
  generatedAt: string;
  /** CONSISTENCY_TARGET, a percentage. */
  targetPercent: number;
  /** The figures now (kind LIVE, read from the maintained counters). */
  latest: HealthDto | null;
  /** The latest full audit, or null when none ran yet. */
  lastAudit: AuditDto | null;
  /** What the database does with a foreign write that leaves a pair out of sync (FOREIGN_WRITES). */
  foreignWrites: ForeignWrites;
  /** Desyncs caused (BROKE or CHANGED) per writer since `since` (24 hours before the build), most first. */
  desyncsByWriter: { since: string; writers: WriterCount[] };
  runningJob: JobDto | null;
  /** The newest job that is no longer running. */
  lastJob: JobDto | null;
  jobHealth: JobHealthDto | null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toHealthDto({ checkedAt, ...rest }: HealthSnapshot): HealthDto {
  return { ...rest, checkedAt: checkedAt.toISOString() };
}

export function toJobDto({ heartbeatAt: _heartbeat, startedAt, finishedAt, ...rest }: SyncJobSummary): JobDto {
  return { ...rest, startedAt: startedAt.toISOString(), finishedAt: iso(finishedAt) };
}

export function toIso(d: Date | null | undefined): string | null {
  return iso(d);
}
