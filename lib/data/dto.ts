import type { JobHealth } from '@/lib/scheduler/job-health';
import type { HealthSnapshot, SyncJobSummary } from '@/lib/sync/types';

/**
 * JSON-shaped views of engine results for the browser: dates as ISO strings, so the server
 * render, the /api/dashboard response and react-query's cache all hold the same shape.
 */

/** A health check as JSON: the engine's snapshot with its time as an ISO string. */
export type HealthDto = Omit<HealthSnapshot, 'checkedAt'> & { checkedAt: string };

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
  latest: HealthDto | null;
  /** Consistency rate (percent) of the stored health checks, oldest first. */
  series: { checkedAt: string; ratePercent: number }[];
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
