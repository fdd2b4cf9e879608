/** Every react-query key the browser uses, so a write (setQueryData, invalidate) hits the query that reads it. */
export const queryKeys = {
  /** GET /api/dashboard: the figures and charts. */
  dashboard: ['dashboard'],
  /** GET /api/sync-jobs/running: the running sync job, or null. */
  runningJob: ['running-job'],
} as const;
