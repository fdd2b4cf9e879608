'use client';

import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { useHydrated } from '@/components/ui/local-time';
import type { DashboardData } from '@/lib/data/dto';
import { formatInt, formatPercent } from '@/lib/format';
import { DESYNC_KINDS, KIND_LABELS, type DesyncKind } from '@/lib/vocabulary';

// Mid-tone colours that read on both the light and the dark background.
const KIND_COLOURS: Record<DesyncKind, string> = {
  LEVEL_MISMATCH: '#d97706',
  MISSING_LICENSE: '#2563eb',
  MISSING_PROGRESS: '#9333ea',
  ORPHAN_PROGRESS: '#64748b',
  ORPHAN_LICENSE: '#0d9488',
  INVALID_PROGRESS: '#db2777',
  LICENSE_IN_FUTURE: '#65a30d',
};

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** Axis labels that fit the span shown: times within a day, dates beyond a few days. */
function tickFormatterFor(spanMs: number) {
  const hour = 3_600_000;
  if (spanMs <= 20 * hour) return (t: number) => timeOfDay.format(t);
  if (spanMs <= 72 * hour) return (t: number) => dayAndTime.format(t);
  return (t: number) => dayOnly.format(t);
}
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

const CHART_HEIGHT = 260;
const tick = { fill: 'currentColor', fontSize: 12 };

function ChartSkeleton() {
  return <div className="skeleton" style={{ height: CHART_HEIGHT }} aria-hidden="true" />;
}

/** Consistency rate of the stored health checks over time, with the target line. */
export function RateChart({ data }: { data: DashboardData }) {
  const hydrated = useHydrated();
  const points = data.series.map((p) => ({ t: Date.parse(p.checkedAt), rate: p.ratePercent }));
  const rates = points.map((p) => p.rate);
  const low = Math.min(data.targetPercent, ...rates);
  // Zoom in on the interesting band near 100% but always show the target line.
  const floor = Math.max(0, Math.floor((low - Math.max(0.5, (100 - low) * 0.2)) * 10) / 10);
  const last = points.at(-1);
  const formatTick = tickFormatterFor(last && points[0] ? last.t - points[0].t : 0);
  const summary = last
    ? `${points.length} snapshots; latest ${formatPercent(last.rate)}, target ${data.targetPercent}%.`
    : 'No health checks stored yet.';

  return (
    <section className="card chart-card" aria-labelledby="rate-chart-title">
      <h2 id="rate-chart-title">Consistency over time</h2>
      <p className="chart-summary muted">{summary}</p>
      {!hydrated ? (
        <ChartSkeleton />
      ) : points.length === 0 ? (
        <p className="empty">The chart fills in as health checks run.</p>
      ) : (
        <div className="chart" aria-hidden="true">
          <LineChart
            responsive
            style={{ width: '100%', height: CHART_HEIGHT }}
            data={points}
            margin={{ top: 22, right: 16, bottom: 0, left: 0 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke="currentColor" strokeOpacity={0.15} />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={formatTick}
              tick={tick}
              stroke="currentColor"
              minTickGap={24}
            />
            <YAxis
              domain={[floor, 100]}
              tickFormatter={(v: number) => `${v.toFixed(1)}%`}
              tick={tick}
              width={56}
              stroke="currentColor"
              allowDataOverflow
            />
            <Tooltip
              labelFormatter={(t) => dateTime.format(Number(t))}
              formatter={(v) => [formatPercent(Number(v)), 'Consistency']}
              contentStyle={{ background: 'var(--card)', border: '1px solid var(--border)', color: 'var(--fg)' }}
            />
            <ReferenceLine
              y={data.targetPercent}
              stroke="#cf222e"
              strokeDasharray="6 4"
              label={{ value: `Target ${data.targetPercent}%`, position: 'insideTopRight', fill: 'currentColor', fontSize: 12 }}
            />
            <Line
              type="linear"
              dataKey="rate"
              stroke="#1f6feb"
              strokeWidth={2}
              dot={points.length < 40}
              isAnimationActive={false}
              name="Consistency"
            />
          </LineChart>
        </div>
      )}
    </section>
  );
}

/** Open desyncs per specialization, stacked by kind, from the latest health check. */
export function DesyncChart({ data }: { data: DashboardData }) {
  const hydrated = useHydrated();
  const by = data.latest?.bySpecialization ?? {};
  const rows = Object.entries(by)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([spec, counts]) => ({ spec, ...Object.fromEntries(DESYNC_KINDS.map((k) => [k, counts[k] ?? 0])) }));
  const kinds = DESYNC_KINDS.filter((k) => rows.some((r) => (r as Record<string, unknown>)[k]));
  const summary = rows.length
    ? rows.map((r) => `${r.spec}: ${formatInt(kinds.reduce((s, k) => s + Number((r as Record<string, unknown>)[k] ?? 0), 0))}`).join('; ')
    : 'No health check has run yet.';

  return (
    <section className="card chart-card" aria-labelledby="kind-chart-title">
      <h2 id="kind-chart-title">Open issues by specialization and kind</h2>
      <p className="chart-summary muted">{summary}</p>
      {!hydrated ? (
        <ChartSkeleton />
      ) : rows.length === 0 ? (
        <p className="empty">Nothing to show yet.</p>
      ) : kinds.length === 0 ? (
        <p className="empty">Every pair is consistent.</p>
      ) : (
        <div className="chart" aria-hidden="true">
          <BarChart
            responsive
            style={{ width: '100%', height: CHART_HEIGHT }}
            data={rows}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke="currentColor" strokeOpacity={0.15} vertical={false} />
            <XAxis dataKey="spec" tick={tick} stroke="currentColor" />
            <YAxis allowDecimals={false} tick={tick} width={48} stroke="currentColor" />
            <Tooltip
              cursor={{ fillOpacity: 0.1 }}
              contentStyle={{ background: 'var(--card)', border: '1px solid var(--border)', color: 'var(--fg)' }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {kinds.map((k) => (
              <Bar key={k} dataKey={k} stackId="kinds" name={KIND_LABELS[k]} fill={KIND_COLOURS[k]} isAnimationActive={false} />
            ))}
          </BarChart>
        </div>
      )}
    </section>
  );
}

const WRITER_BAR = 28;
/** Long writer names (emails, "sql:<application>") are cut on the axis; the hidden table has them whole. */
const writerTick = (w: string) => (w.length > 26 ? `${w.slice(0, 25)}…` : w);

/** Desyncs caused (a pair broken, or its kind changed) per writer in the last 24 hours, from pair_events. */
export function WriterChart({ data }: { data: DashboardData }) {
  const hydrated = useHydrated();
  const rows = data.desyncsByWriter.writers;
  const total = rows.reduce((n, r) => n + r.count, 0);
  const summary = rows.length
    ? `${formatInt(total)} ${total === 1 ? 'desync' : 'desyncs'} caused; most by ${rows[0]!.writer} (${formatInt(rows[0]!.count)}).`
    : 'Each writer that broke a pair or changed its kind appears here, with how many.';

  return (
    <section className="card chart-card" aria-labelledby="writer-chart-title">
      <h2 id="writer-chart-title">Desyncs by writer (24 h)</h2>
      <p className="chart-summary muted">{summary}</p>
      {rows.length === 0 ? (
        <p className="empty">No desyncs caused in the last 24 hours</p>
      ) : (
        <>
          {!hydrated ? (
            <ChartSkeleton />
          ) : (
            <div className="chart" aria-hidden="true">
              <BarChart
                responsive
                layout="vertical"
                style={{ width: '100%', height: Math.max(120, rows.length * WRITER_BAR + 48) }}
                data={rows}
                margin={{ top: 8, right: 24, bottom: 0, left: 0 }}
                accessibilityLayer={false}
              >
                <CartesianGrid stroke="currentColor" strokeOpacity={0.15} horizontal={false} />
                <XAxis type="number" allowDecimals={false} tick={tick} stroke="currentColor" />
                <YAxis type="category" dataKey="writer" tickFormatter={writerTick} tick={tick} width={170} stroke="currentColor" />
                <Tooltip
                  cursor={{ fillOpacity: 0.1 }}
                  formatter={(v) => [formatInt(Number(v)), 'Desyncs caused']}
                  contentStyle={{ background: 'var(--card)', border: '1px solid var(--border)', color: 'var(--fg)' }}
                />
                <Bar dataKey="count" name="Desyncs caused" fill="#d97706" isAnimationActive={false} />
              </BarChart>
            </div>
          )}
          <table className="sr-only" aria-label="Desyncs by writer (24 h)">
            <thead>
              <tr>
                <th scope="col">Writer</th>
                <th scope="col">Desyncs caused</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.writer} data-writer={r.writer}>
                  <td>{r.writer}</td>
                  <td className="num">{r.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
