import type { DbTx } from '../db/prisma';

/**
 * Advisory lock keys (arbitrary constants). Health checks serialize on HEALTH_CHECK; the
 * current-desync list's write phase takes DESYNC_LIST exclusively while every SyncWatch writer of
 * a pair (coupled writes, repairs, and sw_record_progress in SQL) holds it shared, so a check
 * never writes a verdict about a pair while a write to that pair is in flight.
 *
 * Every writer of a pair also takes the pair's own lock, keyed by (hashtext('sw-pair:' ||
 * specialization), learner), before any row lock: `SELECT ... FOR UPDATE` locks nothing when a
 * row does not exist yet, so without it two first writes of one pair would both insert.
 * sw_record_progress takes the same key in SQL.
 */
export const LOCKS = { HEALTH_CHECK: 0x5e41c4, DESYNC_LIST: 0x5e41c5 } as const;

/** Taken at the start of every transaction that writes a pair. */
export async function lockAsPairWriter(tx: DbTx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${LOCKS.DESYNC_LIST}::bigint)`;
}

/**
 * Serializes writers of these pairs even when their rows do not exist yet. Locks are taken in
 * one fixed order (learner, then specialization), so writers of overlapping sets never deadlock.
 */
export async function lockPairs(tx: DbTx, pairs: readonly { userId: number; specializationId: string }[]): Promise<void> {
  if (!pairs.length) return;
  const users = pairs.map((p) => p.userId);
  const specs = pairs.map((p) => p.specializationId);
  await tx.$executeRaw`
    SELECT count(pg_advisory_xact_lock(hashtext('sw-pair:' || o.s), o.u))
    FROM (SELECT DISTINCT u, s FROM unnest(${users}::int[], ${specs}::text[]) AS t(u, s) ORDER BY u, s OFFSET 0) o`;
}
