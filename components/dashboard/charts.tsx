'use client';

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_HEIGHT, ChartSkeleton, tick, tooltipStyle } from '@/components/ui/chart-kit';
import { useHydrated } from '@/components/ui/local-time';
import type { DashboardData } from '@/lib/data/dto';
import { formatInt } from '@/lib/format';
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
            <Tooltip cursor={{ fillOpacity: 0.1 }} contentStyle={tooltipStyle} />
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
                  contentStyle={tooltipStyle}
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
