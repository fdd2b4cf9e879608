import type { Db } from '../db/prisma';
import { TX_OPTIONS, withRetry } from './db-errors';
import { getLevelTables } from './levels';
import { decide } from './repair';
import { applyDecisions, lockAndLoad } from './repair-sql';
import type { Actor, DesyncKind, PairSnapshot, SyncItemOutcome } from './types';
import { pairSchema, parseInput } from './validation';
import { SyncError } from './errors';

export interface SyncPairResult {
  /** NOOP: the pair was already consistent; nothing was written. */
  outcome: Extract<SyncItemOutcome, 'SYNCED' | 'REPORTED'> | 'NOOP';
  kind: DesyncKind | null;
  before: PairSnapshot;
  after: PairSnapshot;
}

/**
 * Repairs one pair by the sync policy and records it (an audit event). Idempotent: a pair
 * already in agreement is a NOOP and writes nothing.
 */
export async function syncPair(db: Db, userId: number, specializationId: string, actor: Actor): Promise<SyncPairResult> {
  const v = parseInput(pairSchema, { userId, specializationId });
  const tables = await getLevelTables(db);
  return withRetry(() =>
    db.$transaction(async (tx) => {
      const [loaded] = await lockAndLoad(tx, actor, [{ userId: v.userId, specializationId: v.specializationId }]);
      if (!loaded || (loaded.progressLevel === null && loaded.licenseLevel === null)) {
        throw new SyncError('NOT_FOUND', `Learner ${v.userId} has no ${v.specializationId} progress or license.`);
      }
      const d = decide(loaded, tables);
      if (d.action === 'NONE') {
        // Already consistent: re-judge the pair at commit (a stale entry in the desync set leaves), write nothing else.
        await tx.$executeRaw`SELECT sw_note_pairs(ARRAY[${v.userId}::int], ARRAY[${v.specializationId}::text])`;
        return { outcome: 'NOOP' as const, kind: null, before: d.before, after: d.before };
      }
      if (d.action === 'REPORT') return { outcome: 'REPORTED' as const, kind: d.kind, before: d.before, after: d.before };
      const [applied] = await applyDecisions(tx, [d], { jobId: null, actor, auditAction: 'SYNC_PAIR' });
      if (applied?.outcome !== 'SYNCED')
        throw new SyncError('CONFLICT', applied?.error ?? 'The repair wrote nothing. Reload and try again.');
      return { outcome: 'SYNCED' as const, kind: d.kind, before: d.before, after: d.after! };
    }, TX_OPTIONS),
  );
}
