'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Bar, CartesianGrid, ComposedChart, Line, Tooltip, XAxis, YAxis } from 'recharts';
import { fetchJson, FetchError } from '@/components/dashboard/fetch-json';
import { useLiveStatus } from '@/components/live/live-events';
import { queryKeys } from '@/components/query-keys';
import { CHART_HEIGHT, ChartSkeleton, shortDateTime, tick, timeTicks, tooltipStyle } from '@/components/ui/chart-kit';
import { useHydrated } from '@/components/ui/local-time';
import { RangePicker, useRangeParam } from '@/components/ui/range-picker';
import { formatDuration, formatInt } from '@/lib/format';
import { TREND_RANGE_NAMES, type JobHistory } from '@/lib/sync/trend';
import { JobStatus } from './job-status';

const COLOURS = { synced: '#2da44e', failed: '#cf222e', duration: '#8250df' };
/** While live, `jobs` events refresh the chart and polling is only a safety net. */
const LIVE_FALLBACK_SECONDS = 60;

const signedOut = (err: unknown) => err instanceof FetchError && (err.status === 401 || err.status === 403);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The chart in words: the range, the jobs, their repairs and durations. */
export function jobHistorySummary(h: JobHistory): string {
  const name = TREND_RANGE_NAMES[h.range];
  if (h.jobs.length === 0) return `${name}: no finished sync jobs in this range.`;
  const synced = h.jobs.reduce((n, j) => n + j.synced, 0);
  const failed = h.jobs.reduce((n, j) => n + j.failed, 0);
  const durations = h.jobs.map((j) => j.durationMs);
  const jobs = h.total === h.jobs.length ? formatInt(h.total) : `the newest ${formatInt(h.jobs.length)} of ${formatInt(h.total)}`;
  return (
    `${name}: ${jobs} finished ${h.total === 1 ? 'job' : 'jobs'}; ${formatInt(synced)} repaired, ${formatInt(failed)} failed; ` +
    `duration median ${formatDuration(median(durations))}, longest ${formatDuration(Math.max(...durations))}.`
  );
}

/**
 * "Job durations and repairs" on /jobs: a bar per finished job (pairs repaired, and failed, stacked)
 * and its duration as a line on a second axis, over the "Range" in the URL (GET
 * /api/sync-jobs/history). `jobs` events refresh it (components/live/live-topics.ts); while the
 * event stream is down it polls every `pollSeconds`, as the page does.
 */
export function JobHistoryChart({ pollSeconds }: { pollSeconds: number }) {
  const hydrated = useHydrated();
  const { live } = useLiveStatus();
  const [range, setRange] = useRangeParam();
  const query = useQuery({
    queryKey: queryKeys.jobHistoryOf(range),
    queryFn: ({ signal }) => fetchJson<JobHistory>(`/api/sync-jobs/history?range=${range}`, signal, 10_000),
    refetchInterval: (q) => (signedOut(q.state.error) ? false : (live ? Math.max(pollSeconds, LIVE_FALLBACK_SECONDS) : pollSeconds) * 1000),
    refetchIntervalInBackground: false,
    networkMode: 'always',
  });
  const history = query.data;
  const name = TREND_RANGE_NAMES[range];
  const summary = history ? jobHistorySummary(history) : query.isError ? `${name}: not loaded.` : `${name}: loading…`;

  return (
    <section className="card chart-card job-history" aria-labelledby="job-chart-title">
      <div className="chart-head">
        <h2 id="job-chart-title">Job durations and repairs</h2>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <p id="job-chart-summary" className="chart-summary muted" data-testid="job-history-summary">
        {summary}
      </p>
      {query.isError ? (
        <p className="notice notice-warn" role="status">
          The job history could not be {history ? 'refreshed' : 'loaded'}:{' '}
          {query.error instanceof FetchError ? query.error.message : 'try again.'}
        </p>
      ) : null}
      {!hydrated || !history ? (
        <ChartSkeleton />
      ) : history.jobs.length === 0 ? (
        <p className="empty">No finished sync jobs in this range.</p>
      ) : (
        <JobHistoryBody history={history} />
      )}
    </section>
  );
}

function JobHistoryBody({ history }: { history: JobHistory }) {
  const rows = history.jobs.map((j) => ({ ...j, t: Date.parse(j.startedAt) }));
  const byId = new Map(rows.map((r) => [r.id, r]));
  // One bar per job, evenly spaced: a tick at the first job of each day (or hour), at most 8.
  const { format } = timeTicks(Date.parse(history.from), Date.parse(history.to));
  const firsts = rows.filter((r, i) => i === 0 || format(r.t) !== format(rows[i - 1]!.t));
  const ticks = firsts.filter((_, i) => i % Math.ceil(firsts.length / 8) === 0).map((r) => r.id);
  const name = TREND_RANGE_NAMES[history.range];
  return (
    <>
      <div
        className="chart"
        role="img"
        aria-label={`Chart: job durations and repairs, ${name.toLowerCase()}`}
        aria-describedby="job-chart-summary"
      >
        <ComposedChart
          responsive
          style={{ width: '100%', height: CHART_HEIGHT }}
          data={rows}
          margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          accessibilityLayer={false}
        >
          <CartesianGrid stroke="currentColor" strokeOpacity={0.15} vertical={false} />
          <XAxis
            dataKey="id"
            ticks={ticks}
            interval={0}
            tickFormatter={(id: number) => format(byId.get(id)?.t ?? 0)}
            tick={tick}
            stroke="currentColor"
          />
          <YAxis yAxisId="pairs" allowDecimals={false} tick={tick} width={48} stroke="currentColor" />
          <YAxis
            yAxisId="duration"
            orientation="right"
            tickFormatter={(ms: number) => formatDuration(ms)}
            tick={tick}
            width={64}
            stroke="currentColor"
          />
          <Tooltip
            cursor={{ fillOpacity: 0.1 }}
            labelFormatter={(id) => {
              const job = byId.get(Number(id));
              return job
                ? `Job #${job.id} (${job.trigger.toLowerCase()}, ${job.status.toLowerCase()}), ${shortDateTime.format(job.t)}`
                : '';
            }}
            formatter={(v, series) => [series === 'Duration' ? formatDuration(Number(v)) : formatInt(Number(v)), series]}
            contentStyle={tooltipStyle}
          />
          <Bar
            yAxisId="pairs"
            dataKey="synced"
            stackId="pairs"
            name="Repaired"
            fill={COLOURS.synced}
            maxBarSize={40}
            isAnimationActive={false}
          />
          <Bar
            yAxisId="pairs"
            dataKey="failed"
            stackId="pairs"
            name="Failed"
            fill={COLOURS.failed}
            maxBarSize={40}
            isAnimationActive={false}
          />
          <Line
            yAxisId="duration"
            type="linear"
            dataKey="durationMs"
            name="Duration"
            stroke={COLOURS.duration}
            strokeWidth={2}
            dot={rows.length < 40}
            isAnimationActive={false}
          />
        </ComposedChart>
      </div>
      <ul className="chart-legend" aria-label="Legend">
        <li>
          <span className="swatch" style={{ background: COLOURS.synced }} aria-hidden="true" /> Repaired (pairs, left axis)
        </li>
        <li>
          <span className="swatch" style={{ background: COLOURS.failed }} aria-hidden="true" /> Failed (pairs, left axis)
        </li>
        <li>
          <span className="swatch swatch-line" style={{ background: COLOURS.duration }} aria-hidden="true" /> Duration (right axis)
        </li>
      </ul>
      <details className="chart-markers">
        <summary>Jobs in this range ({formatInt(rows.length)})</summary>
        <div className="table-scroll">
          <table className="table compact" aria-label="Job durations and repairs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col" className="num">
                  Repaired
                </th>
                <th scope="col" className="num">
                  Failed
                </th>
              </tr>
            </thead>
            <tbody>
              {[...rows].reverse().map((j) => (
                <tr key={j.id} data-job-id={j.id}>
                  <td>
                    <Link href={`/jobs/${j.id}`}>
                      {shortDateTime.format(j.t)} <span className="muted">#{j.id}</span>
                    </Link>
                  </td>
                  <td>
                    <JobStatus status={j.status} />
                  </td>
                  <td className="num">{formatDuration(j.durationMs)}</td>
                  <td className="num">{formatInt(j.synced)}</td>
                  <td className="num">{formatInt(j.failed)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
