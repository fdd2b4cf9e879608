'use client';

import type { ReactNode } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
  type DotItemDotProps,
} from 'recharts';
import { CHART_HEIGHT, dateTime, tick, timeTicks, tooltipStyle } from '@/components/ui/chart-kit';
import { formatInt, formatPercent } from '@/lib/format';
import type { Trend, TrendMarker } from '@/lib/sync/trend';

export const LINE_COLOUR = '#1f6feb';
export const MARKER_COLOURS: Record<TrendMarker['kind'], string> = { SYNC_JOB: '#8250df', MAINTENANCE: '#6e7781' };

/**
 * A stretch of this many buckets without a check is drawn as a gap (2 h at 24 h, 14 h at 7 d,
 * 2.5 days at 30 d, 7.5 days at 90 d), not bridged by a line.
 */
export const GAP_BUCKETS = 24;

interface Row {
  /** Where the bucket is drawn: its middle (the bucket in progress: now at the latest). */
  t: number;
  start: number;
  band: [number, number] | null;
  last: number | null;
  checks: number;
  /** No bucket drawn on either side: shown as a dot, or it would not show at all. */
  isolated: boolean;
}

/** The points as chart rows, in percent, with a null row in each gap so that the line breaks there. */
export function trendRows(trend: Trend): Row[] {
  const stride = trend.bucketSeconds * 1000;
  const to = Date.parse(trend.to);
  const rows: Row[] = [];
  let previous: number | null = null;
  for (const p of trend.points) {
    const start = Date.parse(p.at);
    if (previous !== null && start - previous > GAP_BUCKETS * stride) {
      rows.push({ t: previous + stride, start: previous + stride, band: null, last: null, checks: 0, isolated: false });
    }
    rows.push({
      t: Math.min(start + stride / 2, to),
      start,
      band: [p.min * 100, p.max * 100],
      last: p.last * 100,
      checks: p.checks,
      isolated: false,
    });
    previous = start;
  }
  rows.forEach((r, i) => {
    r.isolated = r.last !== null && !rows[i - 1]?.band && !rows[i + 1]?.band;
  });
  return rows;
}

/** The lowest value the y axis needs: near 100% it zooms in, but the target line always shows. */
function yFloor(rows: Row[], targetPercent: number): number {
  const low = Math.min(targetPercent, ...rows.flatMap((r) => (r.band ? [r.band[0]] : [])));
  return Math.max(0, Math.floor((low - Math.max(0.5, (100 - low) * 0.2)) * 10) / 10);
}

/** Past this many markers, the short ones are drawn as a rug of ticks along the bottom, not full-height lines. */
const RUG_AFTER = 40;

function markerShape(m: TrendMarker, i: number, w: { from: number; to: number; stride: number; rug: [number, number] | null }): ReactNode {
  const x1 = Math.max(w.from, Date.parse(m.from));
  const x2 = Math.min(w.to, m.to ? Date.parse(m.to) : w.to);
  const colour = MARKER_COLOURS[m.kind];
  // Longer than a bucket: the stretch it lasted; shorter: a line (or a tick) at its start.
  if (x2 - x1 >= w.stride) return <ReferenceArea key={i} x1={x1} x2={x2} fill={colour} fillOpacity={0.15} stroke="none" />;
  if (w.rug) {
    const [y1, y2] = w.rug;
    return (
      <ReferenceLine
        key={i}
        segment={[
          { x: x1, y: y1 },
          { x: x1, y: y2 },
        ]}
        stroke={colour}
        strokeWidth={1.5}
      />
    );
  }
  return <ReferenceLine key={i} x={x1} stroke={colour} strokeOpacity={0.7} strokeDasharray="2 3" />;
}

export function TrendPlot({ trend, rows, targetPercent }: { trend: Trend; rows: Row[]; targetPercent: number }) {
  const from = Date.parse(trend.from);
  const to = Date.parse(trend.to);
  const stride = trend.bucketSeconds * 1000;
  const axis = timeTicks(from, to);
  const floor = yFloor(rows, targetPercent);
  const rug: [number, number] | null = trend.markers.length > RUG_AFTER ? [floor, floor + (100 - floor) * 0.06] : null;
  const dot = (props: DotItemDotProps) => {
    const row = rows[props.index];
    const key = `dot-${props.index}`;
    if (!row?.isolated || props.cx === undefined || props.cy === undefined) return <g key={key} />;
    return <circle key={key} cx={props.cx} cy={props.cy} r={2.5} fill={LINE_COLOUR} />;
  };

  return (
    <ComposedChart
      responsive
      style={{ width: '100%', height: CHART_HEIGHT }}
      data={rows}
      margin={{ top: 22, right: 16, bottom: 0, left: 0 }}
      accessibilityLayer={false}
    >
      <CartesianGrid stroke="currentColor" strokeOpacity={0.15} />
      <XAxis
        dataKey="t"
        type="number"
        scale="time"
        domain={[from, to]}
        allowDataOverflow
        ticks={axis.ticks}
        tickFormatter={axis.format}
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
        labelFormatter={(_, payload) => {
          const row = payload[0]?.payload as Row | undefined;
          if (!row) return '';
          const checks = `${formatInt(row.checks)} ${row.checks === 1 ? 'check' : 'checks'}`;
          return `${dateTime.format(row.start)} – ${dateTime.format(row.start + stride)} (${checks})`;
        }}
        formatter={(v) =>
          Array.isArray(v)
            ? [`${formatPercent(Number(v[0]))} – ${formatPercent(Number(v[1]))}`, 'Lowest – highest']
            : [formatPercent(Number(v)), 'Last check']
        }
        contentStyle={tooltipStyle}
      />
      {trend.markers.map((m, i) => markerShape(m, i, { from, to, stride, rug }))}
      <ReferenceLine
        y={targetPercent}
        stroke="#cf222e"
        strokeDasharray="6 4"
        label={{ value: `Target ${targetPercent}%`, position: 'insideTopRight', fill: 'currentColor', fontSize: 12 }}
      />
      <Area
        type="linear"
        dataKey="band"
        stroke="none"
        fill={LINE_COLOUR}
        fillOpacity={0.2}
        activeDot={false}
        isAnimationActive={false}
        name="Lowest – highest"
      />
      <Line type="linear" dataKey="last" stroke={LINE_COLOUR} strokeWidth={2} dot={dot} isAnimationActive={false} name="Last check" />
    </ComposedChart>
  );
}
