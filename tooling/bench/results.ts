import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeChartPng } from './chart';
import { coupledRows, coupledTargets, type CoupledWriteFigures } from './coupled-writes';
import { LOAD_CONNECTIONS, type OpenLoopRouteFigures } from './dashboard';
import type { FreshnessFigures } from './freshness';
import type { AuditMemoryFigures, FullAuditFigures } from './full-audit';
import type { HealthFigures } from './health-figures';
import { log } from './log';
import { massRows, massTargets } from './mass-desync';
import type { ServerFigures } from './production';
import { slopeRows, slopeTargets, type ReferenceFile, type SizeSlope } from './reference';
import { fmtTarget, fmtValue, markdownTable, table, target, type TargetResult } from './report';
import { fmtMs, round } from './stats';
import type { SyncJobFigures } from './sync-job';
import type { WriteOverheadFigures } from './write-overhead';

/** The benchmark's output: the targets, the tables on stdout, bench/results/<date>-<pairs>.json and the chart. */

/** The results file's format; a file of another version is never overwritten (see writeResults). */
export const RESULTS_VERSION = 3;

export interface Figures {
  health: HealthFigures;
  audit: FullAuditFigures;
  auditMemory: AuditMemoryFigures;
  sync: SyncJobFigures;
  throughput: CoupledWriteFigures;
  writes: WriteOverheadFigures;
  freshness: FreshnessFigures;
  web: ServerFigures | null;
  /** The 1M figures the 10M run compares with, when they come from a results file rather than this run. */
  referenceFile: ReferenceFile | null;
  /** 10M / 1M of the audit, recordProgress, the set's freshness and the writes (the 10M run). */
  slope: SizeSlope | null;
}

/** 10M / 1M: measured in this run when the 1M database was there, else against the latest 1M results file. */
function sizeRatios(f: Figures) {
  const file = f.referenceFile;
  const health = f.health.reference?.ratio ?? (file?.readHealthMs ? f.health.readMs / file.readHealthMs : null);
  const sync = f.sync.reference?.ratio ?? (file?.syncJobMs ? f.sync.jobMs / file.syncJobMs : null);
  return { health, sync };
}

export function targetsOf(f: Figures, pairs: number, totalS: number): TargetResult[] {
  const { audit, auditMemory, sync, throughput, writes, freshness, web } = f;
  const big = pairs > 1_000_000;
  const ratios = sizeRatios(f);
  const open200 = web?.dashboard?.openLoop.rates.find((r) => r.rate === 200);
  return [
    target('freshnessPageP99', "Commit -> in the dashboard page's data, p99", freshness.page?.p99Ms, 'ms', 'atMost', 1000),
    target('writeLevel', 'Level-changing UPDATE, triggers on / off', writes.levelUpdate.ratio, 'x', 'atLeast', 0.85, true),
    target('writeXp', 'XP-only UPDATE in the band, on / off', writes.xpUpdate.ratio, 'x', 'atLeast', 0.97, true),
    target('writeRecord', 'recordProgress, triggers on / off', writes.recordProgress.ratio, 'x', 'atLeast', 0.9, true),
    writes.legacyUpdate.failed
      ? { ...target('writeLegacy', '100k-row legacy UPDATE: fails when on', null, 'x', 'atMost', 1.5, true), met: false }
      : target('writeLegacy', '100k-row legacy UPDATE time, on / off', writes.legacyUpdate.ratio, 'x', 'atMost', 1.5, true),
    target('healthSize', 'readHealth, 10M / 1M', big ? ratios.health : null, 'x', 'atMost', 1.3, true),
    target('auditRatio', 'Full audit / better full scan, 1% churn per run', audit.ratio, 'x', 'atMost', 1.2, true),
    target('auditGapsRatio', 'Full audit / better full scan, ids with gaps', audit.idLayouts.gaps.ratio, 'x', 'atMost', 1.2, true),
    target('auditSparseRatio', 'Full audit / better full scan, sparse ids', audit.idLayouts.sparse.ratio, 'x', 'atMost', 1.2, true),
    target('auditRss', 'Node RSS growth, audit of 10% drift', auditMemory.rssGrowthMiB, 'MiB', 'atMost', 50),
    target('syncSize', 'Sync job of 12,000 desyncs, 10M / 1M', big ? ratios.sync : null, 'x', 'atMost', 1.3, true),
    target('syncJob', 'Sync job of all desyncs (recorded)', sync.jobMs / 1000, 's', 'atMost', 5),
    target('syncRatio', 'Sync job (recorded) / better set-based repair', sync.ratio, 'x', 'atMost', 1.5, true),
    target('syncCallRatio', 'Sync job (whole call) / better set-based repair', sync.callRatio, 'x', 'atMost', 2, true),
    ...coupledTargets(throughput),
    target('dashboardRatio', 'Dashboard req/s / trivial route, closed loop', web?.dashboard?.ratio, 'x', 'atLeast', 0.5, true),
    target('dashboardCpu', 'Dashboard poll CPU/request / auth-only, 200 req/s', open200?.cpuRatio, 'x', 'atMost', 1.2, true),
    target('dashboardOpenP95', 'Dashboard poll p95, open loop 200 req/s', open200?.page.p95Ms, 'ms', 'atMost', 50),
    target('dashboardOpenP99', 'Dashboard poll p99, open loop 200 req/s', open200?.page.p99Ms, 'ms', 'atMost', 100),
    target('apiWrites', 'API progress writes / direct recordProgress, 16 clients', web?.apiWrites?.ratio, 'x', 'atLeast', 0.5, true),
    target('rss', 'Server RSS during a sync job', web?.memory?.peakDuringSyncMiB, 'MiB', 'atMost', 600),
    ...massTargets(web?.mass ?? null, pairs),
    ...(big && f.slope ? slopeTargets(f.slope) : []),
    ...(pairs === 1_000_000 ? [target('benchMinutes', 'This benchmark run', totalS / 60, 'min', 'atMost', 15)] : []),
  ];
}

function serverRows(web: ServerFigures): string[][] {
  const rows: string[][] = [];
  if (web.dashboard) {
    const { dashboard: d, ping, openLoop } = web.dashboard;
    const cpu = (r: OpenLoopRouteFigures) => `${r.cpuMsPerRequest.toFixed(2)} ms CPU/req`;
    for (const o of openLoop.rates) {
      rows.push([
        `Dashboard page's poll (${openLoop.pagePoll.length} routes), open loop ${o.rate} req/s: CPU/request`,
        `p50/p95/p99 ${o.page.p50Ms}/${o.page.p95Ms}/${o.page.p99Ms} ms, ${cpu(o.page)}, ${o.page.errors} errors`,
        `${openLoop.authOnly} p95 ${o.auth.p95Ms} ms, ${cpu(o.auth)}; ${openLoop.trivial} ${cpu(o.trivial)}`,
        `${o.cpuRatio.toFixed(2)}x`,
      ]);
    }
    rows.push([
      `GET /api/dashboard, ${LOAD_CONNECTIONS} connections closed loop (capacity)`,
      `${d.requestsPerSecond} req/s, p50/p95/p99 ${d.p50Ms}/${d.p95Ms}/${d.p99Ms} ms, ${d.errors} errors`,
      `/api/ping ${ping.requestsPerSecond} req/s, p95 ${ping.p95Ms} ms`,
      `${web.dashboard.ratio.toFixed(2)}x`,
    ]);
  }
  if (web.memory) {
    rows.push(['Server RSS during the sync job', `${web.memory.peakDuringSyncMiB} MiB`, `before it ${web.memory.beforeSyncMiB} MiB`, '']);
  }
  if (web.apiWrites) {
    rows.push([
      'POST /api/v1/.../progress, 16 clients, Idempotency-Key on each',
      `${web.apiWrites.apiWritesPerSecond} writes/s, ${web.apiWrites.errors} errors`,
      `direct recordProgress ${web.apiWrites.directTps} tx/s`,
      `${web.apiWrites.ratio.toFixed(2)}x`,
    ]);
  }
  return rows;
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : fmtMs(v));

export function figureRows(f: Figures, pairs: number): string[][] {
  const { health, audit, auditMemory, sync, throughput, writes, freshness, web } = f;
  const ratios = sizeRatios(f);
  const big = pairs > 1_000_000;
  const refNote = (inRun: boolean) => (inRun ? '1M, same run' : f.referenceFile ? `1M, ${f.referenceFile.file}` : '1M: none');
  const onOff = (name: string, r: { on: number; off: number; ratio: number }, unit: string) => [
    name,
    unit === 'ms' ? `on ${fmtMs(r.on)}` : `on ${r.on.toFixed(0)} ${unit}`,
    unit === 'ms' ? `off ${fmtMs(r.off)}` : `off ${r.off.toFixed(0)} ${unit}`,
    `${r.ratio.toFixed(2)}x`,
  ];
  const sse = freshness.sse;
  const page = freshness.page;
  return [
    [
      'Commit -> in current_desyncs (poll), p50 / p99',
      `${ms(freshness.set.p50Ms)} / ${ms(freshness.set.p99Ms)}`,
      `since - commit p50 ${ms(freshness.sinceMinusCommit.p50Ms)}`,
      '',
    ],
    [
      'Commit -> SSE invalidate, p50 / p99',
      sse ? `${ms(sse.p50Ms)} / ${ms(sse.p99Ms)} (max ${ms(sse.maxMs)}, ${sse.missed} missed)` : 'not measured',
      `load ${freshness.loadAchieved} recordProgress tx/s`,
      '',
    ],
    [
      "Commit -> in the dashboard page's data (GET /api/dashboard on events), p50 / p99",
      page
        ? `${ms(page.p50Ms)} / ${ms(page.p99Ms)} (max ${ms(page.maxMs)}, ${page.missed} missed: > ${ms(page.missAfterMs)})`
        : 'not measured',
      page
        ? `${page.fetches} fetches, ${page.eventRefetches} on events; polls ${page.livePollSeconds} s live, ${page.pollSeconds} s down`
        : '',
      '',
    ],
    onOff(`Level-changing single-row UPDATE, ${writes.callers} callers`, writes.levelUpdate, 'rows/s'),
    onOff('XP-only single-row UPDATE in the band', writes.xpUpdate, 'rows/s'),
    onOff(`recordProgress, ${writes.callers} callers`, writes.recordProgress, 'tx/s'),
    writes.legacyUpdate.onMs === null || writes.legacyUpdate.offMs === null || writes.legacyUpdate.ratio === null
      ? [
          `Legacy UPDATE of ${writes.legacyUpdate.rows.toLocaleString('en-US')} license levels`,
          'fails at commit',
          writes.legacyUpdate.failed ?? '',
          '',
        ]
      : onOff(
          `Legacy UPDATE of ${writes.legacyUpdate.rows.toLocaleString('en-US')} license levels`,
          { on: writes.legacyUpdate.onMs, off: writes.legacyUpdate.offMs, ratio: writes.legacyUpdate.ratio },
          'ms',
        ),
    onOff(
      `Legacy UPDATE of ${writes.legacySmallUpdate.rows.toLocaleString('en-US')} license levels`,
      { on: writes.legacySmallUpdate.onMs, off: writes.legacySmallUpdate.offMs, ratio: writes.legacySmallUpdate.ratio },
      'ms',
    ),
    onOff(
      `Legacy UPDATE of ${writes.legacyXpUpdate.rows.toLocaleString('en-US')} progress XP`,
      { on: writes.legacyXpUpdate.onMs, off: writes.legacyXpUpdate.offMs, ratio: writes.legacyXpUpdate.ratio },
      'ms',
    ),
    [
      `readHealth (median of ${health.calls} calls)`,
      fmtMs(health.readMs),
      big ? `${refNote(Boolean(health.reference))} ${ms(health.reference?.readMs ?? f.referenceFile?.readHealthMs)}` : '',
      big && ratios.health !== null ? `${ratios.health.toFixed(2)}x` : '',
    ],
    [
      `Full audit, ${(audit.churn.share * 100).toFixed(0)}% churn per run (${audit.churn.desyncs.min}-${audit.churn.desyncs.max} desyncs)`,
      `${fmtMs(audit.auditMs)} (pass ${fmtMs(audit.passMs)}), drift ${audit.drift}`,
      `hash count ${fmtMs(audit.hashMs)}, merge count ${fmtMs(audit.mergeMs)}`,
      `${audit.ratio.toFixed(2)}x`,
    ],
    [
      'Full audit, the same churn unseen by the note triggers (informational)',
      `${fmtMs(audit.drifted.auditMs)} (pass ${fmtMs(audit.drifted.passMs)}), ` +
        `drift ${audit.drifted.churn.perRun.map((r) => r.drift).join('/')}`,
      `hash count ${fmtMs(audit.drifted.hashMs)}, merge count ${fmtMs(audit.drifted.mergeMs)}`,
      `${audit.drifted.ratio.toFixed(2)}x`,
    ],
    ...(['gaps', 'sparse'] as const).map((k) => {
      const r = audit.idLayouts[k];
      return [
        `Full audit, ${k === 'gaps' ? 'ids with gaps' : 'sparse ids'}: ${r.missingIds.toLocaleString('en-US')} missing, ${r.path}` +
          (audit.idLayouts.pairs !== pairs ? ` (${audit.idLayouts.pairs.toLocaleString('en-US')} pairs)` : ''),
        `${fmtMs(r.auditMs)} (pass ${fmtMs(r.passMs)})`,
        `hash count ${fmtMs(r.hashMs)}, merge count ${fmtMs(r.mergeMs)}`,
        `${r.ratio.toFixed(2)}x`,
      ];
    }),
    [
      `Full audit of ${auditMemory.driftedPairs.toLocaleString('en-US')} drifted pairs`,
      `${fmtMs(auditMemory.auditMs)}, Node RSS +${auditMemory.rssGrowthMiB} MiB`,
      `RSS before ${auditMemory.rssBeforeMiB} MiB`,
      '',
    ],
    [
      `Sync job, ${sync.found} desyncs (recorded / whole call)`,
      `${fmtMs(sync.jobMs)} / ${fmtMs(sync.callMs)}`,
      `set-based from current_desyncs ${fmtMs(sync.fromSetMs)}, from one scan ${fmtMs(sync.fromScanMs)}` +
        (big ? `; ${refNote(Boolean(sync.reference))} ${ms(sync.reference?.jobMs ?? f.referenceFile?.syncJobMs)}` : ''),
      `${sync.ratio.toFixed(2)}x / ${sync.callRatio.toFixed(2)}x` +
        (big && ratios.sync !== null ? ` (10M/1M ${ratios.sync.toFixed(2)}x)` : ''),
    ],
    ...coupledRows(throughput, writes.ceilingUpdatesPerSecond),
    ...(web ? serverRows(web) : []),
    ...(web?.mass ? massRows(web.mass) : []),
    ...(f.slope ? slopeRows(f.slope) : []),
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

/** The results file's name: <date>-<pairs>, or <date>-<pairs>-v<version> when a file of another format has the first. */
function resultsBase(outDir: string, date: string, pairs: number): string {
  const plain = `${date}-${pairs}`;
  try {
    const existing = JSON.parse(readFileSync(path.join(outDir, `${plain}.json`), 'utf8')) as { version?: number };
    return existing.version === RESULTS_VERSION ? plain : `${plain}-v${RESULTS_VERSION}`;
  } catch {
    return plain;
  }
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
  const base = resultsBase(outDir, date, pairs);
  const jsonFile = path.join(outDir, `${base}.json`);
  const rounded = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? round(v, 3) : v);
  writeFileSync(jsonFile, `${JSON.stringify(result, rounded, 2)}\n`);
  log(`Results written to ${path.relative(process.cwd(), jsonFile)}`);
  if (!opts.chart) return;
  const pngFile = path.join(outDir, `${base}.png`);
  const note = await writeChartPng(
    pngFile,
    `SyncWatch at ${pairs.toLocaleString('en-US')} pairs: measured vs target`,
    `${date}, ${os.cpus().length} CPUs, load ${opts.loadStart.toFixed(1)} -> ${opts.loadEnd.toFixed(1)}, median of ${runs} runs, ` +
      `PostgreSQL ${opts.postgresVersion}`,
    targets,
  );
  log(`Chart written to ${path.relative(process.cwd(), pngFile)}${note ? ` (${note})` : ''}`);
}
