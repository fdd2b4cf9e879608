import type { DbTx } from '../db/prisma';

/**
 * Advisory lock keys (arbitrary constants). Health checks serialize on HEALTH_CHECK; the
 * current-desync list's write phase takes DESYNC_LIST exclusively while every SyncWatch writer of
 * a pair (coupled writes, repairs, and sw_record_progress in SQL) holds it shared, so a check
 * never writes a verdict about a pair while a write to that pair is in flight.
 */
export const LOCKS = { HEALTH_CHECK: 0x5e41c4, DESYNC_LIST: 0x5e41c5 } as const;

/** Taken at the start of every transaction that writes a pair. */
export async function lockAsPairWriter(tx: DbTx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${LOCKS.DESYNC_LIST}::bigint)`;
}
