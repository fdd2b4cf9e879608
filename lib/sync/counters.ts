import type { Db, DbTx } from '../db/prisma';
import { DESYNC_KINDS, type DesyncKind } from '../vocabulary';
import { emptyByKind } from './classify';

/**
 * The maintained counters (sw_count_deltas): progress rows per specialization, kept by the pair
 * tables' insert and delete triggers; desyncs per specialization and kind, kept by the judge with
 * the set. Read in time that does not grow with the pairs: a sum over a handful of rows per key
 * once compacted.
 */

export interface Counters {
  progressRows: Map<string, number>;
  desyncs: Map<string, Record<DesyncKind, number>>;
}

const KINDS = new Set<string>(DESYNC_KINDS);

export async function readCounters(db: Db | DbTx): Promise<Counters> {
  const rows = await db.$queryRaw<{ scope: string; key: string; n: number }[]>`
    SELECT scope, key, sum(n)::int AS n FROM sw_count_deltas
    WHERE scope IN ('progress_rows', 'desyncs') GROUP BY scope, key HAVING sum(n) <> 0`;
  const progressRows = new Map<string, number>();
  const desyncs = new Map<string, Record<DesyncKind, number>>();
  for (const r of rows) {
    if (r.scope === 'progress_rows') {
      progressRows.set(r.key, r.n);
      continue;
    }
    const at = r.key.indexOf(':');
    const kind = r.key.slice(0, at);
    const spec = r.key.slice(at + 1);
    if (!KINDS.has(kind)) continue;
    const byKind = desyncs.get(spec) ?? emptyByKind();
    byKind[kind as DesyncKind] += r.n;
    desyncs.set(spec, byKind);
  }
  return { progressRows, desyncs };
}

/** Desyncs caused per writer since the counters began (the metric syncwatch_desyncs_caused_total). */
export async function readCausedByWriter(db: Db): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<{ key: string; n: number }[]>`
    SELECT key, sum(n)::float8 AS n FROM sw_count_deltas WHERE scope = 'caused' GROUP BY key`;
  return new Map(rows.map((r) => [r.key, r.n]));
}

/**
 * Folds each key's deltas into one row. Concurrent writers keep inserting meanwhile: the DELETE
 * takes only the rows its snapshot sees, and their sum goes back in the same statement.
 */
export async function compactCounters(db: Db): Promise<number> {
  const [r] = await db.$queryRaw<{ folded: number }[]>`
    WITH moved AS (DELETE FROM sw_count_deltas RETURNING scope, key, n),
         kept AS (INSERT INTO sw_count_deltas (scope, key, n)
                  SELECT scope, key, sum(n) FROM moved GROUP BY scope, key HAVING sum(n) <> 0 RETURNING 1)
    SELECT ((SELECT count(*) FROM moved) - (SELECT count(*) FROM kept))::int AS folded`;
  return r?.folded ?? 0;
}
