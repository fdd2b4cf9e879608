import 'server-only';
import { env } from '@/lib/env';
import { getLatestHealthCheck, getRunningJob, listHealthChecks, listSyncJobs } from '@/lib/sync';
import { getJobHealth } from '@/lib/scheduler/job-health';
import { toHealthDto, toIso, toJobDto, type DashboardData, type JobHealthDto } from './dto';

/** How many stored health checks the rate chart shows. */
const SERIES_LENGTH = 240;

/**
 * Everything the dashboard shows, from stored snapshots only (the latest health check, the
 * health-check history, job rows): never a scan of the pairs, so it stays fast at a million
 * pairs and can be polled every few seconds.
 */
export async function getDashboardData(): Promise<DashboardData> {
  const [latest, checks, running, jobs, jobHealth] = await Promise.all([
    getLatestHealthCheck(),
    listHealthChecks({ limit: SERIES_LENGTH }),
    getRunningJob(),
    listSyncJobs({ limit: 5 }),
    getJobHealthSafely(),
  ]);
  const lastJob = jobs.items.find((j) => j.status !== 'RUNNING') ?? null;
  return {
    generatedAt: new Date().toISOString(),
    targetPercent: env().CONSISTENCY_TARGET,
    latest: latest ? toHealthDto(latest) : null,
    series: checks.map((c) => ({ checkedAt: c.checkedAt.toISOString(), ratePercent: c.consistencyRate * 100 })),
    runningJob: running ? toJobDto(running) : null,
    lastJob: lastJob ? toJobDto(lastJob) : null,
    jobHealth,
  };
}

// The schedule figures are secondary: a failure there must not blank the whole dashboard.
async function getJobHealthSafely(): Promise<JobHealthDto | null> {
  try {
    const h = await getJobHealth();
    return {
      state: h.state,
      lastSuccessAt: toIso(h.lastSuccessAt),
      nextSyncAt: toIso(h.nextSyncAt),
      nextHealthCheckAt: toIso(h.nextHealthCheckAt),
      overdueAfter: toIso(h.overdueAfter),
    };
  } catch (err) {
    console.error('[dashboard] job health unavailable', err);
    return null;
  }
}
