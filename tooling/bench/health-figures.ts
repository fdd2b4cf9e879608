import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { compactCounters, readHealth } from '../../lib/sync';
import { log } from './log';
import type { Reference } from './reference';
import { fmtMs, median, paired, round } from './stats';

/**
 * (3) The health figures: `readHealth` (pairs, consistent pairs, desyncs by kind and by
 * specialization) sums the maintained counters and never scans the pairs, so its cost should not
 * grow with them. Measured as the median of many calls after the counters are compacted (as
 * the minutely snapshot does). With a reference database of another size in the same run (the
 * 1M data set in the 10M run) the two are measured in alternating blocks, and the ratio is the
 * median of per-block ratios.
 */

const CALLS_PER_BLOCK = 100;

async function deltaRows(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM sw_count_deltas`);
  return rows[0]!.n;
}

/** Median ms of `calls` sequential readHealth calls. */
async function block(db: Db, calls: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await readHealth(db);
    ms.push(performance.now() - t);
  }
  return median(ms);
}

export async function measureHealthFigures(db: Db, c: pg.Client, pairs: number, runs: number, ref: Reference | null) {
  await compactCounters(db);
  if (ref) await compactCounters(ref.db);
  const rows = await deltaRows(c);
  const h = await readHealth(db);
  if (h.totalPairs !== pairs) {
    throw new Error(`readHealth counts ${h.totalPairs} pairs in a data set of ${pairs}.`);
  }
  const blocks = Math.max(runs, 3);
  const r = ref
    ? await paired(
        blocks,
        () => block(db, CALLS_PER_BLOCK),
        () => block(ref.db, CALLS_PER_BLOCK),
        (i, x, y) =>
          log(
            `  block ${i + 1}/${blocks}: readHealth ${fmtMs(x)} at ${pairs.toLocaleString('en-US')}, ` +
              `${fmtMs(y)} at ${ref.label} (${(x / y).toFixed(2)}x)`,
          ),
      )
    : null;
  const own = r ? r.a : [];
  if (!r) {
    await block(db, 20);
    for (let i = 0; i < blocks; i++) {
      own.push(await block(db, CALLS_PER_BLOCK));
      log(`  block ${i + 1}/${blocks}: readHealth median ${fmtMs(own.at(-1)!)} over ${CALLS_PER_BLOCK} calls`);
    }
  }
  return {
    calls: blocks * CALLS_PER_BLOCK,
    readMs: median(own),
    deltaRows: rows,
    totalPairs: h.totalPairs,
    desynced: h.totalPairs - h.consistentPairs,
    reference: r && ref ? { pairs: ref.pairs, readMs: median(r.b), ratio: median(r.ratios), source: 'same run' as const } : null,
    runs: { readMs: own.map((x) => round(x, 3)), referenceMs: r ? r.b.map((x) => round(x, 3)) : [] },
  };
}

export type HealthFigures = Awaited<ReturnType<typeof measureHealthFigures>>;
