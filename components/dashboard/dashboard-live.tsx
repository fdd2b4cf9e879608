'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { queryKeys } from '@/components/query-keys';
import { LocalTime } from '@/components/ui/local-time';
import type { DashboardData, JobDto } from '@/lib/data/dto';
import type { StaffRole } from '@/lib/vocabulary';
import { DesyncChart, RateChart } from './charts';
import { AdminActions } from './admin-actions';
import { fetchJson, FetchError } from './fetch-json';
import { DashboardFigures } from './figures';
import { RefreshControls } from './refresh-controls';

const DEFAULT_SECONDS = 10;

/** A poll that hangs counts as failed after this long, so the page can say it is stale. */
function timeoutFor(seconds: number) {
  return Math.min(Math.max(seconds * 1000, 5_000), 10_000);
}

const signedOut = (err: unknown) => err instanceof FetchError && (err.status === 401 || err.status === 403);

/**
 * The live part of the dashboard: figures, charts and admin actions over one react-query poll
 * of /api/dashboard. Polling follows the "Auto-refresh" switch and the "Refresh every" select,
 * pauses while the tab is hidden, and a failed poll turns into a visible "stale" notice.
 */
export function DashboardLive({ initial, role }: { initial: DashboardData; role: StaffRole }) {
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [seconds, setSeconds] = useState(DEFAULT_SECONDS);
  const queryClient = useQueryClient();

  const dashboard = useQuery({
    queryKey: queryKeys.dashboard,
    queryFn: ({ signal }) => fetchJson<DashboardData>('/api/dashboard', signal, timeoutFor(seconds)),
    initialData: initial,
    initialDataUpdatedAt: Date.parse(initial.generatedAt),
    refetchInterval: (q) => (autoRefresh && !signedOut(q.state.error) ? seconds * 1000 : false),
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
    // Each second while a job runs (the progress bar); otherwise with the page's refresh.
    refetchInterval: (q) => (signedOut(q.state.error) ? false : q.state.data ? 1_000 : autoRefresh ? seconds * 1000 : false),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: autoRefresh,
    networkMode: 'always',
  });

  const refreshFigures = useCallback(() => {
    if (autoRefresh) void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard });
  }, [autoRefresh, queryClient]);

  // Switching auto-refresh back on fetches at once rather than after a full interval.
  const wasOn = useRef(autoRefresh);
  useEffect(() => {
    if (autoRefresh && !wasOn.current) void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard });
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
          lastUpdatedIso={lastUpdatedIso}
          fetching={dashboard.isFetching}
        />
      </div>

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
          <RateChart data={data} />
          <DesyncChart data={data} />
        </div>
      </div>
    </>
  );
}
