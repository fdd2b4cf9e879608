import pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { recordProgress, type Actor } from '../../lib/sync';
import { coupledUpdateByHand, recordProgressByFunction, recordProgressInOneTrip, type OneTripForm } from './baselines-writes';
import { randomLoadPair, specOf } from './dataset';
import { log } from './log';
import { target, type TargetResult } from './report';
import { median, round, runConcurrently } from './stats';

/** Callers and seconds of each throughput run. */
export const CALLERS = 16;
export const THROUGHPUT_SECONDS = 5;
/** Seconds of the one warm-up run of each variant (connections opened, statements prepared). */
const WARMUP_SECONDS = 1;

/** The yardsticks of tooling/bench/baselines-writes.ts. */
export const COUPLED_BASELINES = ['function', 'oneTrip', 'interactive'] as const;
export type CoupledBaseline = (typeof COUPLED_BASELINES)[number];

/** What each yardstick is, for the tables. */
export const COUPLED_BASELINE_LABELS: Record<CoupledBaseline, string> = {
  function: 'sw_record_progress by raw pg',
  oneTrip: 'one round trip by hand',
  interactive: 'interactive transaction by hand (6 round trips, informational)',
};

/** The variants in their ABBA order: recordProgress, then the yardsticks, (b) in both of its forms. */
const VARIANTS = ['engine', 'function', 'oneTripStatement', 'oneTripString', 'interactive'] as const;
type Variant = (typeof VARIANTS)[number];

interface BaselineThroughput {
  /** Median tx/s (for oneTrip: of the better form in each run). */
  tps: number;
  /** recordProgress / this baseline: the median of per-run ratios. */
  ratio: number;
  errors: number;
  runs: number[];
}

interface Throughput {
  engineTps: number;
  engineErrors: number;
  engineRuns: number[];
  baselines: Record<CoupledBaseline, BaselineThroughput>;
  /** (b)'s two forms (baselines-writes.ts: ONE_TRIP_SQL, the simple-query string), and which was faster in most runs. */
  oneTripForms: Record<OneTripForm, { tps: number; errors: number; runs: number[] }> & { better: OneTripForm };
}

/**
 * Runs each of `fns` `runs` times after a warm-up of each, in ABBA order (forward, then backward,
 * so every variant sits at the same mean position); returns each variant's per-run results.
 */
async function abba(runs: number, fns: ((seconds: number) => Promise<number>)[], onRun: (i: number, xs: number[]) => void) {
  for (const fn of fns) await fn(WARMUP_SECONDS);
  const out = fns.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    const order = fns.map((_, k) => k);
    if (i % 2) order.reverse();
    const xs: number[] = [];
    for (const k of order) xs[k] = await fns[k]!(THROUGHPUT_SECONDS);
    xs.forEach((x, k) => out[k]!.push(x));
    onRun(i, xs);
  }
  return out;
}

/** Median tx/s and recordProgress / it, the median of per-run ratios. */
function against(engine: number[], ys: number[], errors: number): BaselineThroughput {
  return { tps: median(ys), ratio: median(engine.map((x, i) => x / ys[i]!)), errors, runs: ys.map((y) => round(y)) };
}

/**
 * (3) recordProgress throughput at 16 callers beside three yardsticks doing the same write on one
 * pg.Pool of 16 (tooling/bench/baselines-writes.ts): sw_record_progress by raw pg; the same work
 * in one round trip by hand, in each run the better of its two forms (one prepared statement, or
 * one simple-query string of the pair lock then the prepared write); and the former interactive
 * transaction (informational). Over random consistent pairs ("spread") and all on one pair
 * ("hotPair"). The ceiling, single-row UPDATEs/s, is measured with the write overhead
 * (write-overhead.ts: ceilingUpdatesPerSecond) and printed beside these rows.
 */
export async function measureRecordProgress(db: Db, url: string, pairs: number, runs: number) {
  const pool = new pg.Pool({ connectionString: url, max: CALLERS, application_name: 'bench-coupled-writes' });
  const actor: Actor = { label: 'bench', source: 'APP' };
  const input = { xpGained: 1, sessionsCompleted: 0 };
  const hot = [1, specOf(1)] as const;
  const write: Record<Variant, (g: number, s: string) => Promise<unknown>> = {
    engine: (g, s) => recordProgress(db, g, s, input, actor),
    function: (g, s) => recordProgressByFunction(pool, g, s, input, actor),
    oneTripStatement: (g, s) => recordProgressInOneTrip(pool, 'statement', g, s, input, actor),
    oneTripString: (g, s) => recordProgressInOneTrip(pool, 'string', g, s, input, actor),
    interactive: (g, s) => coupledUpdateByHand(pool, g, s),
  };
  const out: Record<string, Throughput> = {};
  try {
    for (const [name, pick] of [
      ['spread', () => randomLoadPair(pairs)],
      ['hotPair', () => hot],
    ] as const) {
      const errors = VARIANTS.map(() => 0);
      const firstErrors: string[] = [];
      const fns = VARIANTS.map((v, k) => async (seconds: number) => {
        const r = await runConcurrently(CALLERS, seconds * 1000, () => write[v](...pick()));
        errors[k] = errors[k]! + r.errors;
        if (r.firstError && !firstErrors[k]) firstErrors[k] = r.firstError;
        return r.perSecond;
      });
      const results = await abba(runs, fns, (i, xs) => {
        const [e, ...bs] = xs as [number, ...number[]];
        const vs = VARIANTS.slice(1).map((v, k) => `${v} ${bs[k]!.toFixed(0)} (${(e / bs[k]!).toFixed(2)}x)`);
        log(`  ${name} run ${i + 1}/${runs}: recordProgress ${e.toFixed(0)} tx/s; ${vs.join(', ')}`);
      });
      VARIANTS.forEach((v, k) => {
        if (errors[k]) log(`  ${name}: ${v}: ${errors[k]} failed call(s), first: ${firstErrors[k]}`);
      });
      const [engine, fn, statement, string, interactive] = results as [number[], number[], number[], number[], number[]];
      const oneTrip = statement.map((x, i) => Math.max(x, string[i]!));
      const stringWins = string.filter((x, i) => x > statement[i]!).length;
      out[name] = {
        engineTps: median(engine),
        engineErrors: errors[0]!,
        engineRuns: engine.map((x) => round(x)),
        baselines: {
          function: against(engine, fn, errors[1]!),
          oneTrip: against(engine, oneTrip, errors[2]! + errors[3]!),
          interactive: against(engine, interactive, errors[4]!),
        },
        oneTripForms: {
          statement: { tps: median(statement), errors: errors[2]!, runs: statement.map((x) => round(x)) },
          string: { tps: median(string), errors: errors[3]!, runs: string.map((x) => round(x)) },
          better: stringWins * 2 > runs ? 'string' : 'statement',
        },
      };
    }
  } finally {
    await pool.end();
  }
  return { callers: CALLERS, seconds: THROUGHPUT_SECONDS, spread: out.spread!, hotPair: out.hotPair! };
}

export type CoupledWriteFigures = Awaited<ReturnType<typeof measureRecordProgress>>;

const SCENARIOS = { spread: 'spread', hotPair: 'hot pair' } as const;

/**
 * The coupled write's targets: recordProgress >= 0.9x sw_record_progress by raw pg (spread), >= 0.8x
 * one round trip by hand (spread), and >= 0.9x the one round trip on the hot pair.
 */
export function coupledTargets(t: CoupledWriteFigures): TargetResult[] {
  const { spread, hotPair } = t;
  const atLeast = (id: string, label: string, value: number, goal: number) => target(id, label, value, 'x', 'atLeast', goal, true);
  return [
    atLeast('recordVsFunctionSpread', 'recordProgress / sw_record_progress by raw pg, spread', spread.baselines.function.ratio, 0.9),
    atLeast('recordVsOneTripSpread', 'recordProgress / one round trip by hand, spread', spread.baselines.oneTrip.ratio, 0.8),
    atLeast('recordVsOneTripHot', 'recordProgress / one round trip by hand, hot pair', hotPair.baselines.oneTrip.ratio, 0.9),
  ];
}

/** The two forms of (b), for the table. */
const formsNote = (f: Throughput['oneTripForms']) => `statement ${f.statement.tps.toFixed(0)}, string ${f.string.tps.toFixed(0)}`;

/** The section's rows: recordProgress beside each yardstick, on both loads, and the ceiling (a single-row UPDATE). */
export function coupledRows(t: CoupledWriteFigures, ceilingUpdatesPerSecond: number): string[][] {
  const rows = (Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[]).flatMap((k) =>
    COUPLED_BASELINES.map((b) => {
      const x = t[k].baselines[b];
      return [
        `recordProgress, ${t.callers} callers, ${SCENARIOS[k]} / ${COUPLED_BASELINE_LABELS[b]}`,
        `${t[k].engineTps.toFixed(0)} tx/s`,
        `${x.tps.toFixed(0)} tx/s${b === 'oneTrip' ? ` (${formsNote(t[k].oneTripForms)})` : ''}${x.errors ? `, ${x.errors} errors` : ''}`,
        `${x.ratio.toFixed(2)}x`,
      ];
    }),
  );
  rows.push([
    `Ceiling: single-row UPDATE, ${t.callers} callers, triggers off (write overhead)`,
    `recordProgress, spread ${t.spread.engineTps.toFixed(0)} tx/s`,
    `${ceilingUpdatesPerSecond.toFixed(0)} rows/s`,
    `${(t.spread.engineTps / ceilingUpdatesPerSecond).toFixed(2)}x`,
  ]);
  return rows;
}
