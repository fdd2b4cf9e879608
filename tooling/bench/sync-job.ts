import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runSyncJob, type Actor } from '../../lib/sync';
import { repairSetBased } from './baselines';
import { reinjectDesyncs, totalDesyncs } from './dataset';
import { log } from './log';
import type { Reference } from './reference';
import { fmtMs, median, round, timed } from './stats';

const BENCH_ACTOR: Actor = { label: 'bench', source: 'CLI' };

interface JobRun {
  jobMs: number;
  callMs: number;
  findMs: number;
  repairMs: number;
  finishMs: number;
}

/** One sync job of every desync of the data set (put back first, untimed), checked. */
async function oneJob(db: Db, c: pg.Client, pairs: number): Promise<JobRun> {
  const expected = totalDesyncs(pairs);
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
  return {
    jobMs: job.durationMs ?? Number.NaN,
    callMs: ms,
    findMs: marks.found - marks.start,
    repairMs: marks.repaired - marks.found,
    finishMs: end - marks.repaired,
  };
}

const describe = (r: JobRun) =>
  `recorded ${fmtMs(r.jobMs)}, whole call ${fmtMs(r.callMs)} ` +
  `(find ${fmtMs(r.findMs)}, repair ${fmtMs(r.repairMs)}, finish + closing snapshot ${fmtMs(r.finishMs)})`;

/**
 * (5) A sync job of every desync (12,000 at 1M and at 10M: per-pair job items and audit events)
 * vs one set-based repair transaction (both judged at commit by the triggers); the desyncs are
 * put back (not timed) before each. With a reference data set in the same run (the 1M one in the
 * 10M run), a job runs there too in every run, in alternating order, and the ratio of the two is
 * the median of per-run ratios. Leaves the data set's desyncs in place.
 */
export async function measureSync(db: Db, c: pg.Client, pairs: number, runs: number, ref: Reference | null) {
  const expected = totalDesyncs(pairs);
  const own: JobRun[] = [];
  const theirs: JobRun[] = [];
  const baseMs: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const label = i === 0 ? 'warm-up' : `run ${i}/${runs}`;
    const order = ref && i % 2 === 1 ? (['ref', 'own'] as const) : (['own', 'ref'] as const);
    let mine: JobRun | undefined;
    let other: JobRun | undefined;
    for (const which of order) {
      if (which === 'own') mine = await oneJob(db, c, pairs);
      else if (ref) other = await oneJob(ref.db, ref.c, ref.pairs);
    }
    await reinjectDesyncs(c, pairs);
    const base = await timed(() => repairSetBased(c));
    const wrote = base.value.updated + base.value.licenses + base.value.progress;
    if (wrote !== expected) throw new Error(`The set-based repair wrote ${wrote} rows, expected ${expected}.`);
    log(`  ${label}: job of ${expected} desyncs ${describe(mine!)}; set-based ${fmtMs(base.ms)}`);
    if (other) log(`  ${label}: the same at ${ref!.label}: ${describe(other)} (${(mine!.jobMs / other.jobMs).toFixed(2)}x)`);
    if (i === 0) continue;
    own.push(mine!);
    if (other) theirs.push(other);
    baseMs.push(base.ms);
  }
  await reinjectDesyncs(c, pairs);
  if (ref) await reinjectDesyncs(ref.c, ref.pairs);
  const jobMs = own.map((r) => r.jobMs);
  const callMs = own.map((r) => r.callMs);
  return {
    found: expected,
    jobMs: median(jobMs),
    callMs: median(callMs),
    baselineMs: median(baseMs),
    ratio: median(jobMs.map((x, i) => x / baseMs[i]!)),
    callRatio: median(callMs.map((x, i) => x / baseMs[i]!)),
    msPerPair: median(jobMs) / expected,
    phasesMs: {
      find: round(median(own.map((p) => p.findMs))),
      repair: round(median(own.map((p) => p.repairMs))),
      finishAndClosingSnapshot: round(median(own.map((p) => p.finishMs))),
    },
    reference: ref
      ? {
          pairs: ref.pairs,
          jobMs: median(theirs.map((r) => r.jobMs)),
          ratio: median(jobMs.map((x, i) => x / theirs[i]!.jobMs)),
          source: 'same run' as const,
        }
      : null,
    runs: {
      jobMs,
      callMs: callMs.map((x) => round(x)),
      baselineMs: baseMs.map((x) => round(x)),
      referenceJobMs: theirs.map((r) => r.jobMs),
    },
  };
}

export type SyncJobFigures = Awaited<ReturnType<typeof measureSync>>;
