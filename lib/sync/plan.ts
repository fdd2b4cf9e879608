import type { Db } from '../db/prisma';
import { detectDesyncs } from './detect-sql';
import { getLevelTables } from './levels';
import { decide } from './repair';
import { loadPairs } from './repair-sql';
import { emptyByKind } from './classify';
import type { DesyncKind, PlannedRepair, SyncPreview } from './types';

/** What a sync job would repair: found set-based from the tables themselves, not from the last health check. */

export interface FoundPair {
  userId: number;
  specializationId: string;
  kind: DesyncKind;
}

/** Every pair out of sync right now, in a stable order (specialization, learner). */
export async function findDesyncedPairs(db: Db): Promise<FoundPair[]> {
  const { desyncs } = await db.$transaction((tx) => detectDesyncs(tx), { timeout: 600_000, maxWait: 60_000 });
  return desyncs
    .map((d) => ({ userId: d.userId, specializationId: d.specializationId, kind: d.kind }))
    .sort((a, b) => (a.specializationId < b.specializationId ? -1 : a.specializationId > b.specializationId ? 1 : a.userId - b.userId));
}

/** The dry run: what a sync job would do now, pair by pair, decided by the job's own policy. Writes nothing. */
export async function previewSync(db: Db, opts: { limit?: number } = {}): Promise<SyncPreview> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 0), 100_000);
  const found = await findDesyncedPairs(db);
  const byKind = emptyByKind();
  for (const f of found) byKind[f.kind]++;
  const first = found.slice(0, limit);
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
  return { found: found.length, byKind, items };
}
