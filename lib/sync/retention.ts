import type { Db } from '../db/prisma';

/**
 * Deletes health checks, finished jobs and pair events older than `olderThan`, keeping the latest
 * check, the latest audit, the latest job, and every event that is the cause of a current desync.
 */
export async function pruneHistory(db: Db, olderThan: Date): Promise<{ healthChecks: number; jobs: number; pairEvents: number }> {
  const healthChecks = await db.$executeRaw`
    DELETE FROM health_checks h WHERE h.checked_at < ${olderThan}
      AND h.id <> (SELECT id FROM health_checks ORDER BY checked_at DESC, id DESC LIMIT 1)
      AND h.id IS DISTINCT FROM (SELECT id FROM health_checks WHERE kind = 'AUDIT' ORDER BY checked_at DESC, id DESC LIMIT 1)`;
  const pairEvents = await db.$executeRaw`
    DELETE FROM pair_events e WHERE e.at < ${olderThan}
      AND NOT EXISTS (SELECT 1 FROM current_desyncs d WHERE d.cause_event_id = e.id)`;
  const jobs = await db.$executeRaw`
    DELETE FROM sync_jobs j WHERE j.status <> 'RUNNING' AND j.finished_at < ${olderThan}
      AND j.id <> (SELECT id FROM sync_jobs WHERE status <> 'RUNNING' ORDER BY finished_at DESC, id DESC LIMIT 1)`;
  return { healthChecks, jobs, pairEvents };
}
