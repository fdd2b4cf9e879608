import type { DbTx } from '../db/prisma';
import type { Actor } from './types';

/**
 * Advisory lock keys (arbitrary constants). AUDIT serializes the full audit's counter corrections
 * across instances.
 *
 * Every writer of a pair takes the pair's own lock, keyed by (hashtext('sw-pair:' ||
 * specialization), learner), before any row lock: `SELECT ... FOR UPDATE` locks nothing when a
 * row does not exist yet, so without it two first writes of one pair would both insert.
 * sw_record_progress takes the same key in SQL. (The judge at commit takes keys of its own, 1,024
 * buckets of pairs in the namespace 1398229572, only at commit: see the migration detection_at_commit.)
 */
export const LOCKS = { AUDIT: 0x5e41c4, INCIDENTS: 0x5e41c5 } as const;

/**
 * Names the transaction's writer for the judge at commit (sw_set_writer: a staff email, api:<key>,
 * scheduler, cli) and serializes writers of these pairs even when their rows do not exist yet.
 * Locks are taken in one fixed order (learner, then specialization), so writers of overlapping
 * sets never deadlock. One round trip.
 */
export async function lockPairs(
  tx: DbTx,
  actor: Pick<Actor, 'label' | 'source'>,
  pairs: readonly { userId: number; specializationId: string }[],
): Promise<void> {
  const users = pairs.map((p) => p.userId);
  const specs = pairs.map((p) => p.specializationId);
  await tx.$executeRaw`
    SELECT sw_set_writer(${actor.source}::"AuditSource", ${actor.label}::text),
           (SELECT count(pg_advisory_xact_lock(hashtext('sw-pair:' || o.s), o.u))
            FROM (SELECT DISTINCT u, s FROM unnest(${users}::int[], ${specs}::text[]) AS t(u, s) ORDER BY u, s OFFSET 0) o)`;
}
