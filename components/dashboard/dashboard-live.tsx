'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useLiveStatus } from '@/components/live/live-events';
import { queryKeys } from '@/components/query-keys';
import { LocalTime } from '@/components/ui/local-time';
import type { DashboardData, JobDto } from '@/lib/data/dto';
import type { StaffRole } from '@/lib/vocabulary';
import { DesyncChart, WriterChart } from './charts';
import { AdminActions } from './admin-actions';
import { fetchJson, FetchError } from './fetch-json';
import { DashboardFigures } from './figures';
import { RefreshControls } from './refresh-controls';
import { TrendChart } from './trend-chart';

/**
 * While live (GET /api/events is up), changes arrive as events that invalidate the queries, and
 * polling is only a slow safety net; the running job's progress moves with its `jobs` events.
 */
const LIVE_FALLBACK_SECONDS = 60;
const LIVE_RUNNING_JOB_MS = 5_000;

/** A poll that hangs counts as failed after this long, so the page can say it is stale. */
function timeoutFor(seconds: number) {
  return Math.min(Math.max(seconds * 1000, 5_000), 10_000);
}

const signedOut = (err: unknown) => err instanceof FetchError && (err.status === 401 || err.status === 403);

/**
 * The live part of the dashboard: figures, charts and admin actions over one react-query query
 * of /api/dashboard, refetched when the event stream says something changed (components/live).
 * While the stream is down it polls, following the "Auto-refresh" switch and the "Refresh every"
 * select (default DASHBOARD_POLL_SECONDS); polling pauses while the tab is hidden, and a failed
 * fetch turns into a visible "stale" notice. With auto-refresh off the figures stay as they are
 * (the query is disabled, so events do not refetch it either).
 */
export function DashboardLive({
  initial,
  role,
  defaultSeconds,
  children,
}: {
  initial: DashboardData;
  role: StaffRole;
  defaultSeconds: number;
  /** Shown at the top, under the heading: the open incidents. */
  children?: ReactNode;
}) {
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [seconds, setSeconds] = useState(defaultSeconds);
  const { live } = useLiveStatus();
  const pollMs = (live ? Math.max(seconds, LIVE_FALLBACK_SECONDS) : seconds) * 1000;
  const queryClient = useQueryClient();

  const dashboard = useQuery({
    queryKey: queryKeys.dashboard,
    queryFn: ({ signal }) => fetchJson<DashboardData>('/api/dashboard', signal, timeoutFor(seconds)),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    enabled: autoRefresh,
    refetchInterval: (q) => (autoRefresh && !signedOut(q.state.error) ? pollMs : false),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: autoRefresh,
    refetchOnReconnect: autoRefresh,
    // Offline must count as a failure to show, not as a silent pause.
    networkMode: 'always',
  });

  const running = useQuery({
    queryKey: queryKeys.runningJob,
    queryFn: async ({ signal }) => (await fetchJson<{ job: JobDto | null }>('/api/sync-jobs/running', signal, 5_000)).job,
    initialData: initial.runningJob,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    // While a job runs (the progress bar): each second, or with its events while live; otherwise
    // with the page's refresh.
    refetchInterval: (q) => {
      if (signedOut(q.state.error)) return false;
      if (q.state.data) return live ? LIVE_RUNNING_JOB_MS : 1_000;
      return autoRefresh ? pollMs : false;
    },
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: autoRefresh,
    networkMode: 'always',
  });

  const refreshFigures = useCallback(() => {
    if (!autoRefresh) return;
    void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard });
    void queryClient.invalidateQueries({ queryKey: queryKeys.trend });
  }, [autoRefresh, queryClient]);

  // Switching auto-refresh back on fetches at once rather than after a full interval.
  const wasOn = useRef(autoRefresh);
  useEffect(() => {
    if (autoRefresh && !wasOn.current) {
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard });
      void queryClient.invalidateQueries({ queryKey: queryKeys.trend });
    }
    wasOn.current = autoRefresh;
  }, [autoRefresh, queryClient]);

  const data = dashboard.data;
  const stale = dashboard.isError;
  const lastUpdatedIso = dashboard.dataUpdatedAt ? new Date(dashboard.dataUpdatedAt).toISOString() : null;

  return (
    <>
      <div className="page-head">
        <h1>Dashboard</h1>
        <RefreshControls
          autoRefresh={autoRefresh}
          onAutoRefresh={setAutoRefresh}
          seconds={seconds}
          onSeconds={setSeconds}
          defaultSeconds={defaultSeconds}
          lastUpdatedIso={lastUpdatedIso}
          fetching={dashboard.isFetching}
        />
      </div>

      {children}

      <div role="status" className={stale ? 'notice notice-warn' : 'sr-only'}>
        {stale ? (
          <>
            <strong>
              Data is stale since <LocalTime iso={lastUpdatedIso} />.
            </strong>{' '}
            {dashboard.error instanceof FetchError ? dashboard.error.message : 'The last refresh failed.'}{' '}
            {signedOut(dashboard.error) ? (
              <a href="/login">Sign in</a>
            ) : (
              <button type="button" className="button subtle small" onClick={() => void dashboard.refetch()}>
                Retry now
              </button>
            )}
          </>
        ) : null}
      </div>

      <AdminActions role={role} runningJob={running.data ?? null} onFiguresChanged={refreshFigures} autoRefresh={autoRefresh} />

      <div className={stale ? 'is-stale' : undefined}>
        <DashboardFigures data={data} />
        <div className="charts">
          <TrendChart targetPercent={data.targetPercent} autoRefresh={autoRefresh} pollMs={pollMs} />
          <DesyncChart data={data} />
          <WriterChart data={data} />
        </div>
      </div>
    </>
  );
}
