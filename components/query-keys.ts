import type { TrendRange } from '@/lib/sync/trend';

/** Every react-query key the browser uses, so a write (setQueryData, invalidate) hits the query that reads it. */
export const queryKeys = {
  /** GET /api/dashboard: the figures and charts. */
  dashboard: ['dashboard'],
  /** GET /api/sync-jobs/running: the running sync job, or null. */
  runningJob: ['running-job'],
  /** GET /api/dashboard/trend: the consistency trend, every range (the prefix of `trendOf`). */
  trend: ['trend'],
  trendOf: (range: TrendRange) => ['trend', range] as const,
  /** GET /api/sync-jobs/history: the job history chart, every range (the prefix of `jobHistoryOf`). */
  jobHistory: ['job-history'],
  jobHistoryOf: (range: TrendRange) => ['job-history', range] as const,
  /** GET /api/incidents/open: the dashboard's "Open incidents". */
  openIncidents: ['open-incidents'],
} as const;
