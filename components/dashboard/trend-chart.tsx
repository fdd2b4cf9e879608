'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { queryKeys } from '@/components/query-keys';
import { ChartSkeleton, shortDateTime } from '@/components/ui/chart-kit';
import { useHydrated } from '@/components/ui/local-time';
import { RangePicker, useRangeParam } from '@/components/ui/range-picker';
import { formatInt, formatPercent } from '@/lib/format';
import { TREND_RANGE_NAMES, type Trend, type TrendMarker } from '@/lib/sync/trend';
import { fetchJson, FetchError } from './fetch-json';
import { GAP_BUCKETS, LINE_COLOUR, MARKER_COLOURS, TrendPlot, trendRows } from './trend-plot';

const signedOut = (err: unknown) => err instanceof FetchError && (err.status === 401 || err.status === 403);

/** "5 min", "35 min", "2.5 h", "7.5 h". */
export function formatSpan(seconds: number): string {
  if (seconds < 3_600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3_600) return `${Number((seconds / 3_600).toFixed(1))} h`;
  return `${Number((seconds / 86_400).toFixed(1))} days`;
}

const MARKER_NOUNS: Record<TrendMarker['kind'], [string, string]> = {
  SYNC_JOB: ['sync job', 'sync jobs'],
  MAINTENANCE: ['maintenance window', 'maintenance windows'],
};
const plural = (n: number, [one, many]: [string, string]) => `${formatInt(n)} ${n === 1 ? one : many}`;

/** What the chart shows, in words: the range, how many checks it bucketed, the latest and lowest rate, the markers. */
export function trendSummary(trend: Trend, targetPercent: number): string {
  const name = TREND_RANGE_NAMES[trend.range];
  if (trend.points.length === 0) return `${name}: no checks in this range.`;
  const latest = trend.points.at(-1)!.last * 100;
  const lowest = Math.min(...trend.points.map((p) => p.min)) * 100;
  const jobs = trend.markers.filter((m) => m.kind === 'SYNC_JOB').length + trend.markersOmitted;
  return (
    `${name}: ${plural(trend.checks, ['check', 'checks'])} in ${formatInt(trend.points.length)} buckets of ` +
    `${formatSpan(trend.bucketSeconds)}; latest ${formatPercent(latest)}, lowest ${formatPercent(lowest)}, ` +
    `target ${targetPercent}%; ${plural(jobs, MARKER_NOUNS.SYNC_JOB)}` +
    (trend.markersOmitted ? ` (the newest ${formatInt(trend.markers.length)} marked).` : '.')
  );
}

/**
 * "Consistency over time" with its "Range" (24 h, 7 d, 30 d, 90 d, in the URL): min-max band and
 * last rate per bucket (GET /api/dashboard/trend, bucketed in SQL), the target, and the sync jobs
 * as markers. It refreshes with the dashboard: each `checks` or `jobs` event invalidates it
 * (components/live/live-topics.ts), and it polls at the dashboard's interval; with auto-refresh
 * off it stays as it is, except that a range not seen yet is fetched once.
 */
export function TrendChart({ targetPercent, autoRefresh, pollMs }: { targetPercent: number; autoRefresh: boolean; pollMs: number }) {
  const hydrated = useHydrated();
  const [range, setRange] = useRangeParam();
  const queryClient = useQueryClient();
  const key = queryKeys.trendOf(range);
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => fetchJson<Trend>(`/api/dashboard/trend?range=${range}`, signal, 10_000),
    enabled: autoRefresh || queryClient.getQueryData(key) === undefined,
    refetchInterval: (q) => (autoRefresh && !signedOut(q.state.error) ? pollMs : false),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: autoRefresh,
    networkMode: 'always',
  });
  const trend = query.data;
  const rows = useMemo(() => (trend ? trendRows(trend) : []), [trend]);
  const rangeName = TREND_RANGE_NAMES[range];
  const summary = trend ? trendSummary(trend, targetPercent) : query.isError ? `${rangeName}: not loaded.` : `${rangeName}: loading…`;

  return (
    <section className="card chart-card" aria-labelledby="rate-chart-title">
      <div className="chart-head">
        <h2 id="rate-chart-title">Consistency over time</h2>
        <RangePicker value={range} onChange={setRange} />
      </div>
      <p id="rate-chart-summary" className="chart-summary muted" data-testid="trend-summary">
        {summary}
      </p>
      {query.isError ? (
        <p className="notice notice-warn" role="status">
          The trend could not be {trend ? 'refreshed' : 'loaded'}: {query.error instanceof FetchError ? query.error.message : 'try again.'}
        </p>
      ) : null}
      {!hydrated || !trend ? (
        <ChartSkeleton />
      ) : trend.points.length === 0 ? (
        <p className="empty">No checks in this range.</p>
      ) : (
        <>
          <div
            className="chart"
            role="img"
            aria-label={`Chart: consistency over time, ${rangeName.toLowerCase()}`}
            aria-describedby="rate-chart-summary"
          >
            <TrendPlot trend={trend} rows={rows} targetPercent={targetPercent} />
          </div>
          <TrendLegend trend={trend} targetPercent={targetPercent} />
        </>
      )}
    </section>
  );
}

/** "Dec 1, 2026, 11:32 AM", or from – to when it lasted past the minute, or from – now. */
function markerTimes(m: TrendMarker): string {
  const from = shortDateTime.format(Date.parse(m.from));
  if (!m.to) return `${from} – now`;
  const to = shortDateTime.format(Date.parse(m.to));
  return to === from ? from : `${from} – ${to}`;
}

function TrendLegend({ trend, targetPercent }: { trend: Trend; targetPercent: number }) {
  const kinds = (['SYNC_JOB', 'MAINTENANCE'] as const).filter((k) => trend.markers.some((m) => m.kind === k));
  return (
    <>
      <ul className="chart-legend" aria-label="Legend">
        <li>
          <span className="swatch swatch-line" style={{ background: LINE_COLOUR }} aria-hidden="true" /> Last check in each bucket
        </li>
        <li>
          <span className="swatch swatch-band" style={{ background: LINE_COLOUR }} aria-hidden="true" /> Lowest to highest in each bucket
        </li>
        <li>
          <span className="swatch swatch-target" aria-hidden="true" /> Target {targetPercent}%
        </li>
        {kinds.map((k) => (
          <li key={k}>
            <span className="swatch swatch-marker" style={{ background: MARKER_COLOURS[k] }} aria-hidden="true" />{' '}
            {k === 'SYNC_JOB' ? 'Sync job' : 'Maintenance window'}
          </li>
        ))}
        <li className="muted">A gap: no checks for {formatSpan(GAP_BUCKETS * trend.bucketSeconds)} or more</li>
      </ul>
      {kinds.map((k) => {
        const markers = trend.markers.filter((m) => m.kind === k);
        return (
          <details key={k} className="chart-markers">
            <summary>
              {MARKER_NOUNS[k][1].replace(/^./, (c) => c.toUpperCase())} in this range ({formatInt(markers.length)}
              {k === 'SYNC_JOB' && trend.markersOmitted ? ` of ${formatInt(markers.length + trend.markersOmitted)}` : ''})
            </summary>
            <ul>
              {[...markers].reverse().map((m) => (
                <li key={`${m.kind}-${m.from}-${m.label}`}>
                  {m.href ? <a href={m.href}>{m.label}</a> : m.label} <span className="muted">{markerTimes(m)}</span>
                </li>
              ))}
            </ul>
          </details>
        );
      })}
    </>
  );
}
