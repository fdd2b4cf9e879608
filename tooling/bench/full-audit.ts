import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { createDb, type Db } from '../../lib/db/prisma';
import { runFullAudit } from '../../lib/sync';
import {
  AUDIT_SETTINGS,
  auditSettingsUrl,
  baselinePlan,
  createCoveringIndexes,
  dropCoveringIndexes,
  fullScanCount,
  settingsOf,
} from './baselines';
import { recreateDatabase, type BenchServer } from './database';
import { buildDataset, churnPairs, desyncState, idOf, stride, totalDesyncs, undoChurn, type Churn, type IdLayout } from './dataset';
import { log } from './log';
import { fmtMs, median, round, sleep, timed } from './stats';
import { setNoteTriggers } from './triggers';

/**
 * (4) The full audit (runFullAudit: the learners' id range, the pass into a temporary table, the
 * candidates, the counters, the re-judgement of what differs, the stored AUDIT row) against the
 * better of two full scans doing the least a pass must do, counting the desynced pairs:
 *   - hash: the FULL JOIN count as PostgreSQL plans it (a parallel hash full join);
 *   - merge: the same count as a merge full join over covering indexes (hash joins off).
 * All three with the same planner settings, AUDIT_SETTINGS (jit off, work_mem 4MB): the audit on
 * connections opened with them as options, the baselines with SET LOCAL; both are read back and
 * logged. Before every run (the warm-up too) about 1% of the pairs churn, as a legacy writer's raw
 * SQL would (churnPairs: half heals of desyncs, half new level mismatches, judged at commit), so
 * each run finds another desync set; the data set is put back as built afterwards (untimed).
 * Each run takes the three in a rotating order; the ratio is the median of per-run ratios
 * audit / min(hash, merge). Then the same with the churn's writes unseen by the note triggers
 * (informational, `drifted`, at most DRIFTED_RUNS runs): the audit finds each changed pair
 * different from the set and re-judges it. The covering indexes exist for the section and are
 * dropped after it.
 *
 * Then the same measurement (no churn) on learner ids with gaps, in a database of its own
 * (syncwatch_bench_ids_<n>, at most 1M pairs: at 10M, the 1M size), built twice: `gaps`, one id
 * in 20 missing all over the range (the audit's range path, the missing ids listed per bucket),
 * and `sparse`, more than 100,000 ids missing (the audit joins users instead).
 */

/** lib/sync/audit-pass.ts: more ids missing from the users' range than this, and the audit joins users. */
const AUDIT_MAX_MISSING_IDS = 100_000;
/** The id-layout measurements run on at most this many pairs. */
const ID_LAYOUT_MAX_PAIRS = 1_000_000;
/** Runs of the informational variant whose churn the note triggers do not see (at most). */
const DRIFTED_RUNS = 3;
/** Share of the pairs the churn changes before each run. */
export const CHURN_SHARE = 0.01;

/** The two layouts with gaps (dataset.ts IdLayout) for `pairs` learners. */
export function idLayouts(pairs: number): Record<'gaps' | 'sparse', IdLayout> {
  return {
    gaps: { run: 19, gap: 1 },
    sparse: { run: 1, gap: Math.max(1, Math.ceil((2 * AUDIT_MAX_MISSING_IDS) / pairs)) },
  };
}

async function planSummary(c: pg.Client, variant: 'hash' | 'merge') {
  const { plan, settings } = await baselinePlan(c, variant);
  const summary = plan
    .map((l) => l.trim().replace(/^->\s*/, ''))
    .filter((l) => /Join|Scan|Gather|Aggregate|Sort/.test(l))
    .map((l) => l.split('  ')[0]!)
    .join(' > ');
  return { summary, settings };
}

const fmtSettings = (s: Record<string, string>) =>
  Object.entries(s)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

interface ScanRuns {
  auditMs: number[];
  passMs: number[];
  hashMs: number[];
  mergeMs: number[];
  ratios: number[];
  drift: number;
  /** Per run: the desyncs found and the audit's candidates (pairs where the set and the tables differed). */
  desyncs: number[];
  candidates: number[];
  drifts: number[];
}

/**
 * The audit against the two counts, `runs` runs after a warm-up, in rotating order. `before`
 * runs before each (the warm-up too), untimed, and returns the desyncs all three must count.
 */
async function auditAgainstScans(auditDb: Db, c: pg.Client, runs: number, before: () => Promise<number>): Promise<ScanRuns> {
  const out: ScanRuns = { auditMs: [], passMs: [], hashMs: [], mergeMs: [], ratios: [], drift: 0, desyncs: [], candidates: [], drifts: [] };
  let expected = 0;
  let candidates = 0;
  let drift = 0;
  const audit = async () => {
    const t = performance.now();
    let passEnd = 0;
    const s = await runFullAudit(auditDb, {
      source: 'CLI',
      onProgress: (p) => {
        if (p.phase !== 'pass' && !passEnd) passEnd = performance.now();
      },
    });
    const ms = performance.now() - t;
    if (s.totalPairs - s.consistentPairs !== expected) {
      throw new Error(`The audit counts ${s.totalPairs - s.consistentPairs} desyncs, expected ${expected}.`);
    }
    const { rows } = await c.query<{ n: number | null }>(
      `SELECT (drift_detail->>'candidates')::int AS n FROM health_checks WHERE id = $1`,
      [s.id],
    );
    candidates = rows[0]?.n ?? 0;
    drift = s.drift ?? 0;
    out.drift += drift;
    return { ms, passMs: passEnd - t };
  };
  const count = async (variant: 'hash' | 'merge') => {
    const { ms, value } = await timed(() => fullScanCount(c, variant));
    if (value !== expected) throw new Error(`The ${variant} baseline counts ${value} desyncs, expected ${expected}.`);
    return ms;
  };
  // Warm-up, not counted.
  expected = await before();
  await audit();
  await count('hash');
  await count('merge');
  out.drift = 0;
  const orders = [
    ['audit', 'hash', 'merge'],
    ['merge', 'hash', 'audit'],
    ['hash', 'audit', 'merge'],
  ] as const;
  for (let i = 0; i < runs; i++) {
    expected = await before();
    const got: Record<string, number> = {};
    let pass = 0;
    for (const what of orders[i % orders.length]!) {
      if (what === 'audit') {
        const a = await audit();
        got.audit = a.ms;
        pass = a.passMs;
      } else got[what] = await count(what);
    }
    const best = Math.min(got.hash!, got.merge!);
    out.auditMs.push(got.audit!);
    out.passMs.push(pass);
    out.hashMs.push(got.hash!);
    out.mergeMs.push(got.merge!);
    out.ratios.push(got.audit! / best);
    out.desyncs.push(expected);
    out.candidates.push(candidates);
    out.drifts.push(drift);
    log(
      `  run ${i + 1}/${runs}: ${expected} desyncs: audit ${fmtMs(got.audit!)} ` +
        `(pass ${fmtMs(pass)}, ${candidates} candidates, drift ${drift}), ` +
        `hash count ${fmtMs(got.hash!)}, merge count ${fmtMs(got.merge!)} (${(got.audit! / best).toFixed(2)}x the better)`,
    );
  }
  return out;
}

function summary(r: ScanRuns) {
  return {
    auditMs: median(r.auditMs),
    passMs: median(r.passMs),
    hashMs: median(r.hashMs),
    mergeMs: median(r.mergeMs),
    ratio: median(r.ratios),
    drift: r.drift,
  };
}

const runsOf = (r: ScanRuns) => ({
  auditMs: r.auditMs.map((x) => round(x)),
  hashMs: r.hashMs.map((x) => round(x)),
  mergeMs: r.mergeMs.map((x) => round(x)),
});

/** A Db for the audit whose every session runs with AUDIT_SETTINGS, and the settings it reads back. */
async function auditDbFor(url: string): Promise<{ db: Db; settings: Record<string, string> }> {
  const db = createDb(auditSettingsUrl(url), { poolSize: 4 });
  const settings = await settingsOf((sql) => db.$queryRawUnsafe<{ name: string; setting: string }[]>(sql));
  return { db, settings };
}

/** The settings of both sides must be AUDIT_SETTINGS exactly. */
function checkSettings(what: string, got: Record<string, string>): void {
  for (const [k, v] of Object.entries(AUDIT_SETTINGS)) {
    if (got[k] !== v) throw new Error(`${what} runs with ${k} = ${got[k]}, not ${v}.`);
  }
}

/** The audit against the counts with churn before each run (see churnPairs), and what each churn changed. */
async function withChurn(auditDb: Db, c: pg.Client, pairs: number, runs: number, judged: boolean) {
  const churns: Churn[] = [];
  const r = await auditAgainstScans(auditDb, c, runs, async () => {
    const ch = await churnPairs(c, pairs, { share: CHURN_SHARE, judged });
    churns.push(ch);
    const healed = Object.values(ch.healed).reduce((a, b) => a + b, 0);
    log(`    churn${judged ? '' : ' (note triggers off)'}: ${healed} desyncs healed, ${ch.broke} pairs broken -> ${ch.desyncs} desyncs`);
    return ch.desyncs;
  });
  return {
    r,
    churn: {
      share: CHURN_SHARE,
      judged,
      /** Per run (after the warm-up's): what the churn changed, and the audit's candidates and drift. */
      perRun: churns.slice(1).map((ch, i) => ({ ...ch, candidates: r.candidates[i] ?? null, drift: r.drifts[i] ?? null })),
      desyncs: { min: Math.min(...r.desyncs), max: Math.max(...r.desyncs) },
    },
  };
}

export async function measureFullAudit(c: pg.Client, pairs: number, runs: number, ctx: { server: BenchServer; url: string }) {
  const expected = totalDesyncs(pairs);
  const { db: auditDb, settings: productSettings } = await auditDbFor(ctx.url);
  checkSettings('The audit', productSettings);
  log(`  covering indexes for the merge baseline (built once, dropped after)...`);
  const built = await timed(() => createCoveringIndexes(c));
  let main: Awaited<ReturnType<typeof withChurn>>;
  let drifted: Awaited<ReturnType<typeof withChurn>>;
  let plans;
  try {
    plans = { hash: await planSummary(c, 'hash'), merge: await planSummary(c, 'merge') };
    checkSettings('The hash baseline', plans.hash.settings);
    checkSettings('The merge baseline', plans.merge.settings);
    log(
      `  built in ${fmtMs(built.ms)}; the audit's sessions: ${fmtSettings(productSettings)} (connection options); ` +
        `each baseline: ${fmtSettings(plans.hash.settings)} (SET LOCAL)`,
    );
    log(`  plan, hash baseline:  ${plans.hash.summary}`);
    log(`  plan, merge baseline: ${plans.merge.summary}`);
    log(`  before each run, ${(CHURN_SHARE * 100).toFixed(0)}% of the pairs churn by raw SQL, judged at commit (untimed)`);
    main = await withChurn(auditDb, c, pairs, runs, true);
    log(`  the same with the churn's writes unseen by the note triggers: the audit re-judges them (its drift)`);
    drifted = await withChurn(auditDb, c, pairs, Math.min(runs, DRIFTED_RUNS), false);
  } finally {
    await dropCoveringIndexes(c);
    await auditDb.$disconnect();
  }
  const undo = await timed(() => undoChurn(c, pairs));
  const state = await desyncState(c);
  if (state.tables !== expected || state.set !== expected) {
    throw new Error(`After the churn the data set has ${state.tables} desyncs (${state.set} in the set), expected ${expected}.`);
  }
  log(`  churn undone in ${fmtMs(undo.ms)}: ${expected} desyncs as built`);
  const layouts = await measureIdLayouts(ctx.server, pairs, runs);
  return {
    ...summary(main.r),
    workMem: productSettings.work_mem ?? '',
    settings: { audit: productSettings, baselines: plans.hash.settings, how: 'audit: connection options; baselines: SET LOCAL' },
    plans: { hash: plans.hash.summary, merge: plans.merge.summary },
    churn: main.churn,
    /** The same churn unseen by the note triggers (informational): the audit's re-judgement does the set's rewrite. */
    drifted: { ...summary(drifted.r), churn: drifted.churn, runs: runsOf(drifted.r) },
    idLayouts: layouts,
    runs: runsOf(main.r),
  };
}

type LayoutFigures = ReturnType<typeof summary> & {
  layout: IdLayout;
  missingIds: number;
  path: string;
  runs: ReturnType<typeof runsOf>;
};

/** The audit on learner ids with gaps, one layout after the other in one database of its own (see measureFullAudit). */
async function measureIdLayouts(server: BenchServer, pairs: number, runs: number) {
  const n = Math.min(pairs, ID_LAYOUT_MAX_PAIRS);
  const database = `syncwatch_bench_ids_${n}`;
  const expected = totalDesyncs(n);
  log(
    `  learner ids with gaps: ${database}, ${n.toLocaleString('en-US')} pairs${n < pairs ? ' (a smaller data set than the main one)' : ''}`,
  );
  const url = await recreateDatabase(server, database);
  const c = new pg.Client({ connectionString: url, application_name: 'bench' });
  await c.connect();
  const { db: auditDb } = await auditDbFor(url);
  const out: Partial<Record<keyof ReturnType<typeof idLayouts>, LayoutFigures>> = {};
  try {
    for (const [name, layout] of Object.entries(idLayouts(n)) as [keyof ReturnType<typeof idLayouts>, IdLayout][]) {
      const built = await timed(() => buildDataset(c, n, () => {}, { layout }));
      const first = await runFullAudit(auditDb, { source: 'CLI' });
      if (first.drift !== 0) throw new Error(`The ${name} data set's detection state is off: drift ${first.drift}.`);
      const { rows } = await c.query<{ lo: number; hi: number; missing: number }>(
        `SELECT min(id) AS lo, max(id) AS hi, (max(id) - min(id) + 1 - count(*))::int AS missing FROM users`,
      );
      const ids = rows[0]!;
      const path = ids.missing > AUDIT_MAX_MISSING_IDS ? 'joins users' : 'range, missing ids listed';
      log(
        `  ${name}: ids ${ids.lo}..${ids.hi} (last ${idOf(n, layout)}), ${ids.missing.toLocaleString('en-US')} missing ` +
          `-> the audit's path: ${path}; built in ${fmtMs(built.ms)}`,
      );
      await createCoveringIndexes(c);
      try {
        const r = await auditAgainstScans(auditDb, c, runs, async () => expected);
        out[name] = { ...summary(r), layout, missingIds: ids.missing, path, runs: runsOf(r) };
      } finally {
        await dropCoveringIndexes(c);
      }
    }
  } finally {
    await auditDb.$disconnect();
    await c.end();
  }
  return { database, pairs: n, desyncs: expected, gaps: out.gaps!, sparse: out.sparse! };
}

export type FullAuditFigures = Awaited<ReturnType<typeof measureFullAudit>>;

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Consistent learners 1..hi whose licenses the memory figure moves (the data set's own desyncs excluded). */
const DRIFT_WHERE = `l.user_id BETWEEN 1 AND $1 AND l.user_id % $2::int <> 7 AND l.user_id % $3::int NOT IN (13, 17)`;

/**
 * Node's RSS during a full audit that has to repair a large drift: `share` of the pairs (at most
 * 100,000) made level mismatches with the note triggers off, so the audit finds each of them
 * missing from the set and re-judges it. The pass, the candidates and the re-judgement all stay
 * in PostgreSQL; this process's RSS is sampled every 20 ms from before the call (after a GC) to
 * its end. The pairs are put back the same way afterwards, and a second audit removes their entries.
 */
export async function measureAuditMemory(db: Db, c: pg.Client, pairs: number, share = 0.1) {
  const s = stride(pairs);
  const target = Math.min(100_000, Math.round(pairs * share));
  // Learners 1..hi hold `target` consistent pairs: the data set's desyncs are 1.2% of them at most.
  const hi = Math.min(pairs, Math.ceil(target / (1 - 0.012 / s)) + 1);
  await setNoteTriggers(c, false);
  let moved = 0;
  try {
    const r = await c.query(
      `UPDATE user_licenses l SET current_level = CASE WHEN l.current_level = 1 THEN 2 ELSE l.current_level - 1 END
       WHERE ${DRIFT_WHERE}`,
      [hi, 100 * s, 1000 * s],
    );
    moved = r.rowCount ?? 0;
  } finally {
    await setNoteTriggers(c, true);
  }
  log(`  ${moved.toLocaleString('en-US')} pairs made level mismatches with the note triggers off (drift for the audit)`);
  const gc = gcFunction();
  gc();
  await sleep(200);
  const before = process.memoryUsage();
  let peak = before.rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  let result;
  try {
    result = await timed(() => runFullAudit(db, { source: 'CLI' }));
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  const after = process.memoryUsage();
  const growthMiB = (peak - before.rss) / 2 ** 20;
  log(
    `  audit with ${moved.toLocaleString('en-US')} drifted pairs: ${fmtMs(result.ms)}, drift ${result.value.drift}; ` +
      `RSS ${(before.rss / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${growthMiB.toFixed(1)} MiB), ` +
      `heap ${(before.heapUsed / 2 ** 20).toFixed(0)} -> ${(after.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  // Put back with the triggers off too (the judge's per-pair locks of 100,000 pairs in one commit
  // would overflow the lock table: see the write-overhead figures), then a full audit removes
  // the entries: that audit's drift is the same pairs again.
  const healed = await timed(async () => {
    await setNoteTriggers(c, false);
    try {
      await c.query(
        `UPDATE user_licenses l SET current_level = p.current_level FROM specialization_progress p
         WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.current_level <> p.current_level
           AND ${DRIFT_WHERE}`,
        [hi, 100 * s, 1000 * s],
      );
    } finally {
      await setNoteTriggers(c, true);
    }
    return runFullAudit(db, { source: 'CLI' });
  });
  log(`  put back with the triggers off, and a full audit: ${fmtMs(healed.ms)} (drift ${healed.value.drift})`);
  return {
    driftedPairs: moved,
    auditMs: round(result.ms),
    drift: result.value.drift,
    rssBeforeMiB: round(before.rss / 2 ** 20, 1),
    rssPeakMiB: round(peak / 2 ** 20, 1),
    rssGrowthMiB: round(growthMiB, 1),
    heapBeforeMiB: round(before.heapUsed / 2 ** 20, 1),
    heapAfterMiB: round(after.heapUsed / 2 ** 20, 1),
    healMs: round(healed.ms),
  };
}

export type AuditMemoryFigures = Awaited<ReturnType<typeof measureAuditMemory>>;
