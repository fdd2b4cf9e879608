import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runSyncJob, type Actor } from '../../lib/sync';
import { repairSetBased, type RepairFinder } from './baselines';
import { expectedDesyncs, reinjectDesyncs, totalDesyncs } from './dataset';
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
 * One set-based repair of every desync of the data set (put back first, untimed), checked: the
 * rows it wrote per table are the job's (one write, one item and one audit event per pair, the
 * job's two events), and the set is empty after its commit.
 */
async function oneBaseline(c: pg.Client, pairs: number, finder: RepairFinder): Promise<number> {
  const kinds = expectedDesyncs(pairs);
  const total = totalDesyncs(pairs);
  await reinjectDesyncs(c, pairs);
  const { ms, value: w } = await timed(() => repairSetBased(c, finder));
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM current_desyncs`);
  const want = {
    found: total,
    updated: kinds.LEVEL_MISMATCH,
    licenses: kinds.MISSING_LICENSE,
    progress: kinds.MISSING_PROGRESS,
    items: total,
    audits: total + 2,
    left: 0,
  };
  const got = {
    found: w.found,
    updated: w.updated,
    licenses: w.licenses,
    progress: w.progress,
    items: w.items,
    audits: w.audits,
    left: rows[0]!.n,
  };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`The set-based repair (${finder}) wrote ${JSON.stringify(got)}, expected ${JSON.stringify(want)}.`);
  }
  return ms;
}

type Step = 'own' | 'ref' | RepairFinder;

/**
 * (5) A sync job of every desync (12,000 at 1M and at 10M: per-pair job items and audit events)
 * vs the set-based repair of baselines.ts (SYNC_WRITE_SQL: the same writes, items and audit
 * events in one transaction, judged at commit like the job's batches) with either finder: one
 * scan of both tables (SYNC_SCAN_SQL) or the maintained set (SYNC_FROM_SET_SQL, as the job plans).
 * The ratio is against the faster of the two in the same run. The desyncs are put back (not timed)
 * before each. Each run takes the job and the two baselines in alternating order (ABBA). With a
 * reference data set in the same run (the 1M one in the 10M run), a job runs there too in every
 * run, and the ratio of the two is the median of per-run ratios. Leaves the data set's desyncs in place.
 */
export async function measureSync(db: Db, c: pg.Client, pairs: number, runs: number, ref: Reference | null) {
  const expected = totalDesyncs(pairs);
  const own: JobRun[] = [];
  const theirs: JobRun[] = [];
  const setMs: number[] = [];
  const scanMs: number[] = [];
  const forward: Step[] = ref ? ['own', 'ref', 'set', 'scan'] : ['own', 'set', 'scan'];
  for (let i = 0; i <= runs; i++) {
    const label = i === 0 ? 'warm-up' : `run ${i}/${runs}`;
    let mine: JobRun | undefined;
    let other: JobRun | undefined;
    const base: Partial<Record<RepairFinder, number>> = {};
    for (const step of i % 2 === 1 ? [...forward].reverse() : forward) {
      if (step === 'own') mine = await oneJob(db, c, pairs);
      else if (step === 'ref') other = await oneJob(ref!.db, ref!.c, ref!.pairs);
      else base[step] = await oneBaseline(c, pairs, step);
    }
    const better = Math.min(base.set!, base.scan!);
    log(
      `  ${label}: job of ${expected} desyncs ${describe(mine!)}; set-based from current_desyncs ${fmtMs(base.set!)}, ` +
        `from one scan ${fmtMs(base.scan!)} (${(mine!.jobMs / better).toFixed(2)}x the better)`,
    );
    if (other) log(`  ${label}: the same at ${ref!.label}: ${describe(other)} (${(mine!.jobMs / other.jobMs).toFixed(2)}x)`);
    if (i === 0) continue;
    own.push(mine!);
    if (other) theirs.push(other);
    setMs.push(base.set!);
    scanMs.push(base.scan!);
  }
  await reinjectDesyncs(c, pairs);
  if (ref) await reinjectDesyncs(ref.c, ref.pairs);
  const jobMs = own.map((r) => r.jobMs);
  const callMs = own.map((r) => r.callMs);
  const baseMs = setMs.map((x, i) => Math.min(x, scanMs[i]!));
  return {
    found: expected,
    jobMs: median(jobMs),
    callMs: median(callMs),
    /** The better (faster) of the two set-based repairs, per run. */
    baselineMs: median(baseMs),
    /** The set-based repair from current_desyncs, and from one scan of both tables. */
    fromSetMs: median(setMs),
    fromScanMs: median(scanMs),
    /** Which finder was faster in most runs. */
    better: setMs.filter((x, i) => x <= scanMs[i]!).length * 2 >= setMs.length ? ('set' as const) : ('scan' as const),
    ratio: median(jobMs.map((x, i) => x / baseMs[i]!)),
    callRatio: median(callMs.map((x, i) => x / baseMs[i]!)),
    ratioVsScan: median(jobMs.map((x, i) => x / scanMs[i]!)),
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
      fromSetMs: setMs.map((x) => round(x)),
      fromScanMs: scanMs.map((x) => round(x)),
      referenceJobMs: theirs.map((r) => r.jobMs),
    },
  };
}

export type SyncJobFigures = Awaited<ReturnType<typeof measureSync>>;
