import type { DesyncKind, HealthSnapshot, SyncJobStatus, SyncJobSummary, SyncTrigger } from '@/lib/sync/types';

/**
 * JSON-shaped views of engine results for the browser: dates as ISO strings, so the server
 * render, the /api/dashboard response and react-query's cache all hold the same shape.
 */

export interface HealthDto {
  id: number;
  checkedAt: string;
  durationMs: number;
  totalPairs: number;
  consistentPairs: number;
  /** Fraction in [0, 1]. */
  consistencyRate: number;
  byKind: Record<DesyncKind, number>;
  orphans: number;
  bySpecialization: HealthSnapshot['bySpecialization'];
}

/** A sync job as JSON: the engine's summary with its times as ISO strings (no heartbeat). */
export type JobDto = Omit<SyncJobSummary, 'startedAt' | 'finishedAt' | 'heartbeatAt'> & {
  startedAt: string;
  finishedAt: string | null;
};

export type JobHealthState = 'ON_SCHEDULE' | 'OVERDUE' | 'NEVER_RUN';

export interface JobHealthDto {
  state: JobHealthState;
  lastSuccessAt: string | null;
  nextSyncAt: string | null;
  nextHealthCheckAt: string | null;
  overdueAfter: string | null;
}

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

export function toHealthDto(h: HealthSnapshot): HealthDto {
  return {
    id: h.id,
    checkedAt: h.checkedAt.toISOString(),
    durationMs: h.durationMs,
    totalPairs: h.totalPairs,
    consistentPairs: h.consistentPairs,
    consistencyRate: h.consistencyRate,
    byKind: h.byKind,
    orphans: h.orphans,
    bySpecialization: h.bySpecialization,
  };
}

export function toJobDto({ heartbeatAt: _heartbeat, startedAt, finishedAt, ...rest }: SyncJobSummary): JobDto {
  return { ...rest, startedAt: startedAt.toISOString(), finishedAt: iso(finishedAt) };
}

export function toIso(d: Date | null | undefined): string | null {
  return iso(d);
}
