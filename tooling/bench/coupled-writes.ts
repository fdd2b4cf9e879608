import pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { recordProgress, type Actor } from '../../lib/sync';
import { coupledUpdateByHand } from './baselines';
import { randomLoadPair, specOf } from './dataset';
import { log } from './log';
import { median, paired, round, runConcurrently } from './stats';

/** Callers and seconds of each throughput run. */
export const CALLERS = 16;
export const THROUGHPUT_SECONDS = 5;

interface Throughput {
  engineTps: number;
  baselineTps: number;
  ratio: number;
  errors: number;
  runs: { engineTps: number[]; baselineTps: number[] };
}

/**
 * (3) recordProgress throughput at 16 callers vs the same coupled write as a hand-written pg
 * transaction: over random pairs ("spread") and all on one pair ("hotPair").
 */
export async function measureRecordProgress(db: Db, url: string, pairs: number, runs: number) {
  const pool = new pg.Pool({ connectionString: url, max: CALLERS });
  const actor: Actor = { label: 'bench', source: 'APP' };
  const randomPair = () => randomLoadPair(pairs);
  const hot = [1, specOf(1)] as const;
  const engine = (pick: () => readonly [number, string], seconds: number) =>
    runConcurrently(CALLERS, seconds * 1000, () => {
      const [g, s] = pick();
      return recordProgress(db, g, s, { xpGained: 1, sessionsCompleted: 0 }, actor);
    });
  const byHand = (pick: () => readonly [number, string], seconds: number) =>
    runConcurrently(CALLERS, seconds * 1000, () => {
      const [g, s] = pick();
      return coupledUpdateByHand(pool, g, s);
    });
  const out: Record<string, Throughput> = {};
  try {
    for (const [name, pick] of [
      ['spread', randomPair],
      ['hotPair', () => hot],
    ] as const) {
      let errors = 0;
      let firstError: string | null = null;
      const r = await paired(
        runs,
        async () => {
          const x = await engine(pick, THROUGHPUT_SECONDS);
          errors += x.errors;
          firstError ??= x.firstError;
          return x.perSecond;
        },
        async () => {
          const y = await byHand(pick, THROUGHPUT_SECONDS);
          errors += y.errors;
          firstError ??= y.firstError;
          return y.perSecond;
        },
        (i, x, y) =>
          log(`  ${name} run ${i + 1}/${runs}: recordProgress ${x.toFixed(0)} tx/s, by hand ${y.toFixed(0)} tx/s (${(x / y).toFixed(2)}x)`),
      );
      if (errors) log(`  ${name}: ${errors} failed call(s), first: ${firstError}`);
      out[name] = {
        engineTps: median(r.a),
        baselineTps: median(r.b),
        ratio: median(r.ratios),
        errors,
        runs: { engineTps: r.a.map((x) => round(x)), baselineTps: r.b.map((x) => round(x)) },
      };
    }
  } finally {
    await pool.end();
  }
  return { callers: CALLERS, seconds: THROUGHPUT_SECONDS, spread: out.spread!, hotPair: out.hotPair! };
}

export type CoupledWriteFigures = Awaited<ReturnType<typeof measureRecordProgress>>;
