import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runSyncJob, type Actor } from '../../lib/sync';
import { repairSetBased } from './baselines';
import { expectedDesyncs, reinjectDesyncs } from './dataset';
import { log } from './log';
import { fmtMs, median, round, timed } from './stats';

const BENCH_ACTOR: Actor = { label: 'bench', source: 'CLI' };

/**
 * (2) A sync job of every desync (per-pair job items and audit events) vs one set-based repair
 * transaction; the desyncs are put back (not timed) before each.
 */
export async function measureSync(db: Db, c: pg.Client, pairs: number, runs: number) {
  const expected = Object.values(expectedDesyncs(pairs)).reduce((a, b) => a + b, 0);
  const jobMs: number[] = [];
  const callMs: number[] = [];
  const baseMs: number[] = [];
  const phases: { findMs: number; repairMs: number; finishMs: number }[] = [];
  for (let i = 0; i <= runs; i++) {
    await reinjectDesyncs(c, pairs);
    const marks = { start: performance.now(), found: 0, repaired: 0 };
    const { ms, value: job } = await timed(() =>
      runSyncJob(db, {
        trigger: 'MANUAL',
        actor: BENCH_ACTOR,
        reason: 'benchmark',
        onProgress: (done, total) => {
          if (done === 0) marks.found = performance.now();
          if (done === total) marks.repaired = performance.now();
        },
      }),
    );
    const end = performance.now();
    if (job.status !== 'SUCCEEDED' || job.found !== expected || job.synced !== expected) {
      throw new Error(`The sync job did not repair the data set's ${expected} desyncs: ${JSON.stringify(job)}`);
    }
    await reinjectDesyncs(c, pairs);
    const base = await timed(() => repairSetBased(c));
    const wrote = base.value.updated + base.value.licenses + base.value.progress;
    if (wrote !== expected) throw new Error(`The set-based repair wrote ${wrote} rows, expected ${expected}.`);
    const label = i === 0 ? 'warm-up' : `run ${i}/${runs}`;
    const phase = { findMs: marks.found - marks.start, repairMs: marks.repaired - marks.found, finishMs: end - marks.repaired };
    log(
      `  ${label}: job found ${job.found}, recorded ${fmtMs(job.durationMs ?? 0)}, whole call ${fmtMs(ms)} ` +
        `(find ${fmtMs(phase.findMs)}, repair ${fmtMs(phase.repairMs)}, finish + closing check ${fmtMs(phase.finishMs)}); ` +
        `set-based ${fmtMs(base.ms)}`,
    );
    if (i === 0) continue;
    phases.push(phase);
    jobMs.push(job.durationMs ?? Number.NaN);
    callMs.push(ms);
    baseMs.push(base.ms);
  }
  return {
    found: expected,
    jobMs: median(jobMs),
    callMs: median(callMs),
    baselineMs: median(baseMs),
    ratio: median(jobMs.map((x, i) => x / baseMs[i]!)),
    callRatio: median(callMs.map((x, i) => x / baseMs[i]!)),
    msPerPair: median(jobMs) / expected,
    phasesMs: {
      find: round(median(phases.map((p) => p.findMs))),
      repair: round(median(phases.map((p) => p.repairMs))),
      finishAndClosingCheck: round(median(phases.map((p) => p.finishMs))),
    },
    runs: { jobMs, callMs: callMs.map((x) => round(x)), baselineMs: baseMs.map((x) => round(x)) },
  };
}

export type SyncJobFigures = Awaited<ReturnType<typeof measureSync>>;
