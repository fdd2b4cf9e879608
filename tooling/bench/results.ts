import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeChartPng } from './chart';
import type { CoupledWriteFigures } from './coupled-writes';
import { LOAD_CONNECTIONS } from './dashboard';
import type { HealthCheckFigures } from './health-check';
import { log } from './log';
import type { ServerFigures } from './production';
import { fmtTarget, fmtValue, markdownTable, table, target, type TargetResult } from './report';
import { fmtMs, round } from './stats';
import type { SyncJobFigures } from './sync-job';

/** The benchmark's output: the targets, the tables on stdout, bench/results/<date>-<pairs>.json and the chart. */

export interface Figures {
  health: HealthCheckFigures;
  sync: SyncJobFigures;
  throughput: CoupledWriteFigures;
  web: ServerFigures | null;
}

export function targetsOf({ health, sync, throughput, web }: Figures, pairs: number, totalS: number): TargetResult[] {
  return [
    target('healthRatio', 'Health check / FULL JOIN count', health.ratio, 'x', 'atMost', 1.5, true),
    target('syncJob', 'Sync job of all desyncs (recorded)', sync.jobMs / 1000, 's', 'atMost', 5),
    target('syncCall', 'Sync job, whole call incl. closing check', sync.callMs / 1000, 's', 'atMost', 5),
    target('syncRatio', 'Sync job / set-based repair', sync.ratio, 'x', 'atMost', 4, true),
    target('recordSpread', 'recordProgress / by hand, spread', throughput.spread.ratio, 'x', 'atLeast', 0.6, true),
    target('recordHot', 'recordProgress / by hand, hot pair', throughput.hotPair.ratio, 'x', 'atLeast', 0.5, true),
    target('dashboardRatio', 'Dashboard req/s / trivial route', web?.dashboard.ratio, 'x', 'atLeast', 0.5, true),
    target('dashboardP95', 'Dashboard p95, 100 clients', web?.dashboard.dashboard.p95Ms, 'ms', 'atMost', 100),
    target('dashboardErrors', 'Dashboard errors, 100 clients', web?.dashboard.dashboard.errors, 'errors', 'atMost', 0),
    target('apiWrites', 'API progress writes / direct recordProgress, 16 clients', web?.apiWrites.ratio, 'x', 'atLeast', 0.5, true),
    target('freshnessDefault', 'Freshness, default schedule', web?.freshness.defaultScheduleS, 's', 'atMost', 75),
    target('freshness10s', 'Freshness, 10 s health schedule', web?.freshness.tenSecondWorstS, 's', 'atMost', 15),
    target('rss', 'Server RSS during a sync job', web?.memory.peakDuringSyncMiB, 'MiB', 'atMost', 600),
    ...(pairs === 1_000_000 ? [target('benchMinutes', 'This benchmark run', totalS / 60, 'min', 'atMost', 15)] : []),
  ];
}

function serverRows(web: ServerFigures): string[][] {
  const { dashboard: d, pacedOncePerSecond: paced, ping } = web.dashboard;
  return [
    [
      `GET /api/dashboard, ${LOAD_CONNECTIONS} clients`,
      `${d.requestsPerSecond} req/s, p50/p95/p99 ${d.p50Ms}/${d.p95Ms}/${d.p99Ms} ms, ${d.errors} errors`,
      `/api/ping ${ping.requestsPerSecond} req/s, p95 ${ping.p95Ms} ms`,
      `${web.dashboard.ratio.toFixed(2)}x`,
    ],
    [
      `GET /api/dashboard, ${LOAD_CONNECTIONS} clients polling 1/s`,
      `${paced.requestsPerSecond} req/s, p50/p95/p99 ${paced.p50Ms}/${paced.p95Ms}/${paced.p99Ms} ms`,
      'informational (the UI refreshes every 10 s)',
      '',
    ],
    [
      'Desync freshness (default / 10 s schedule)',
      `${web.freshness.defaultScheduleS} s / ${web.freshness.tenSecondScheduleS.join(', ')} s`,
      '',
      '',
    ],
    ['Server RSS during the sync job', `${web.memory.peakDuringSyncMiB} MiB`, `before it ${web.memory.beforeSyncMiB} MiB`, ''],
    [
      'POST /api/v1/.../progress, 16 clients, Idempotency-Key on each',
      `${web.apiWrites.apiWritesPerSecond} writes/s, ${web.apiWrites.errors} errors`,
      `direct recordProgress ${web.apiWrites.directTps} tx/s`,
      `${web.apiWrites.ratio.toFixed(2)}x`,
    ],
  ];
}

export function figureRows({ health, sync, throughput, web }: Figures): string[][] {
  const tps = (t: CoupledWriteFigures['spread']) => [
    `${t.engineTps.toFixed(0)} tx/s`,
    `by hand ${t.baselineTps.toFixed(0)} tx/s`,
    `${t.ratio.toFixed(2)}x`,
  ];
  return [
    [
      'Health check (all figures + snapshot)',
      fmtMs(health.engineMs),
      `FULL JOIN count ${fmtMs(health.baselineMs)}`,
      `${health.ratio.toFixed(2)}x`,
    ],
    [
      `Sync job, ${sync.found} desyncs (recorded / whole call)`,
      `${fmtMs(sync.jobMs)} / ${fmtMs(sync.callMs)}`,
      `set-based ${fmtMs(sync.baselineMs)}`,
      `${sync.ratio.toFixed(2)}x / ${sync.callRatio.toFixed(2)}x`,
    ],
    ['recordProgress, 16 callers, spread', ...tps(throughput.spread)],
    ['recordProgress, 16 callers, hot pair', ...tps(throughput.hotPair)],
    ...(web ? serverRows(web) : []),
  ];
}

const FIGURE_HEADERS = ['Measurement', 'SyncWatch', 'Baseline (same run)', 'Ratio'];
const TARGET_HEADERS = ['Target', 'Measured', 'Target', ''];

/** Prints the two tables; returns them in Markdown for the results file. */
export function printTables(figures: string[][], targets: TargetResult[], pairs: number) {
  const targetRows = targets.map((t) => [
    t.label,
    fmtValue(t.value, t.unit),
    fmtTarget(t),
    t.met === null ? '-' : t.met ? 'met' : 'MISSED',
  ]);
  console.log('');
  console.log(table(FIGURE_HEADERS, figures));
  console.log('');
  console.log(table(TARGET_HEADERS, targetRows));
  if (pairs < 1_000_000)
    console.log('The targets are set for 1,000,000 pairs; at this size fixed costs (round trips, transactions) weigh more.');
  console.log('');
  return { figures: markdownTable(FIGURE_HEADERS, figures), targets: markdownTable(TARGET_HEADERS, targetRows) };
}

/** Writes bench/results/<date>-<pairs>.json (numbers rounded to 3 decimals) and, with `chart`, the PNG. */
export async function writeResults(
  result: { date: string; pairs: number; runs: number },
  targets: TargetResult[],
  opts: { chart: boolean; loadStart: number; loadEnd: number; postgresVersion: string },
): Promise<void> {
  const { date, pairs, runs } = result;
  const outDir = path.join(process.cwd(), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const jsonFile = path.join(outDir, `${date}-${pairs}.json`);
  const rounded = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? round(v, 3) : v);
  writeFileSync(jsonFile, `${JSON.stringify(result, rounded, 2)}\n`);
  log(`Results written to ${path.relative(process.cwd(), jsonFile)}`);
  if (!opts.chart) return;
  const pngFile = path.join(outDir, `${date}-${pairs}.png`);
  const note = await writeChartPng(
    pngFile,
    `SyncWatch at ${pairs.toLocaleString('en-US')} pairs: measured vs target`,
    `${date}, ${os.cpus().length} CPUs, load ${opts.loadStart.toFixed(1)} -> ${opts.loadEnd.toFixed(1)}, median of ${runs} runs, ` +
      `PostgreSQL ${opts.postgresVersion}`,
    targets,
  );
  log(`Chart written to ${path.relative(process.cwd(), pngFile)}${note ? ` (${note})` : ''}`);
}
