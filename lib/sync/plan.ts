import type { Db } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import { getLevelTables } from './levels';
import { decide } from './repair';
import { loadPairs } from './repair-sql';
import { emptyByKind } from './classify';
import type { DesyncKind, PlannedRepair, SyncPreview } from './types';

/**
 * What a sync job would repair: the maintained desync set, kept at commit by the judge (no pass
 * over the pairs), so a job's cost grows with the desyncs it repairs, not with the pairs. Each pair
 * is re-decided under its lock when repaired.
 */

export interface FoundPair {
  userId: number;
  specializationId: string;
  kind: DesyncKind;
}

/** One entry per pair (its oldest), in a stable order (specialization, learner). */
const PAIRS = Prisma.sql`SELECT DISTINCT ON (specialization_id, user_id) user_id, specialization_id AS spec, kind
  FROM current_desyncs ORDER BY specialization_id, user_id, since`;

/** Every pair out of sync right now (the first `limit` when given), in a stable order (specialization, learner). */
export async function findDesyncedPairs(db: Db, limit?: number): Promise<FoundPair[]> {
  const rows = await db.$queryRaw<{ user_id: number; spec: string; kind: DesyncKind }[]>`
    ${PAIRS} ${limit === undefined ? Prisma.empty : Prisma.sql`LIMIT ${limit}`}`;
  return rows.map((r) => ({ userId: r.user_id, specializationId: r.spec, kind: r.kind }));
}

/** The dry run: what a sync job would do now, pair by pair, decided by the job's own policy. Writes nothing. */
export async function previewSync(db: Db, opts: { limit?: number } = {}): Promise<SyncPreview> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 0), 100_000);
  // The counts in SQL; only the pairs shown travel to Node.
  const [first, counts] = await Promise.all([
    findDesyncedPairs(db, limit),
    db.$queryRaw<{ kind: DesyncKind; n: number }[]>`SELECT kind, count(*)::int AS n FROM (${PAIRS}) p GROUP BY kind`,
  ]);
  const byKind = emptyByKind();
  for (const c of counts) byKind[c.kind] = c.n;
  const [tables, loaded] = await Promise.all([
    getLevelTables(db),
    loadPairs(
      db,
      first.map((f) => f.userId),
      first.map((f) => f.specializationId),
    ),
  ]);
  const items: PlannedRepair[] = loaded.map((p, i) => {
    const { action: _a, targetLevel: _t, reason: _r, ...planned } = decide(p, tables, first[i]?.kind);
    return planned;
  });
  return { found: counts.reduce((n, c) => n + c.n, 0), byKind, items };
}
