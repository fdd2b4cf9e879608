import type { Db } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import { getLevelTables } from './levels';
import { decide } from './repair';
import { loadPairs } from './repair-sql';
import { emptyByKind } from './classify';
import { desyncWhere } from './desyncs';
import type { JobScope } from './scope';
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

/**
 * One entry per pair in scope (its oldest matching), in a stable order (specialization, learner).
 * The users join is there only for a search, which the list matches on email and name.
 */
function pairsIn(scope: JobScope | null): Prisma.Sql {
  const where = desyncWhere(scope ?? {});
  return Prisma.sql`SELECT DISTINCT ON (d.specialization_id, d.user_id) d.user_id, d.specialization_id AS spec, d.kind
    FROM current_desyncs d ${scope?.search ? Prisma.sql`LEFT JOIN users u ON u.id = d.user_id` : Prisma.empty}
    ${where.length ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty}
    ORDER BY d.specialization_id, d.user_id, d.since`;
}

/** Every pair out of sync right now within `scope` (the first `limit` when given), in a stable order. */
export async function findDesyncedPairs(db: Db, opts: { limit?: number; scope?: JobScope | null } = {}): Promise<FoundPair[]> {
  const rows = await db.$queryRaw<{ user_id: number; spec: string; kind: DesyncKind }[]>`
    ${pairsIn(opts.scope ?? null)} ${opts.limit === undefined ? Prisma.empty : Prisma.sql`LIMIT ${opts.limit}`}`;
  return rows.map((r) => ({ userId: r.user_id, specializationId: r.spec, kind: r.kind }));
}

/** The dry run: what a sync job would do now, pair by pair, decided by the job's own policy. Writes nothing. */
export async function previewSync(db: Db, opts: { limit?: number; scope?: JobScope | null } = {}): Promise<SyncPreview> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 0), 100_000);
  const scope = opts.scope ?? null;
  // The counts in SQL; only the pairs shown travel to Node.
  const [first, counts] = await Promise.all([
    findDesyncedPairs(db, { limit, scope }),
    db.$queryRaw<{ kind: DesyncKind; n: number }[]>`SELECT kind, count(*)::int AS n FROM (${pairsIn(scope)}) p GROUP BY kind`,
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
    const { action: _a, targetLevel: _t, reason: _r, versions: _v, ...planned } = decide(p, tables, first[i]?.kind);
    return planned;
  });
  return { found: counts.reduce((n, c) => n + c.n, 0), byKind, items, scope };
}
