import type { Db } from '../db/prisma';

/** Deletes health checks and finished jobs older than `olderThan`, keeping the latest of each. */
export async function pruneHistory(db: Db, olderThan: Date): Promise<{ healthChecks: number; jobs: number }> {
  const healthChecks = await db.$executeRaw`
    DELETE FROM health_checks h WHERE h.checked_at < ${olderThan}
      AND h.id <> (SELECT id FROM health_checks ORDER BY checked_at DESC, id DESC LIMIT 1)
      AND NOT EXISTS (SELECT 1 FROM current_desyncs d WHERE d.health_check_id = h.id)`;
  const jobs = await db.$executeRaw`
    DELETE FROM sync_jobs j WHERE j.status <> 'RUNNING' AND j.finished_at < ${olderThan}
      AND j.id <> (SELECT id FROM sync_jobs WHERE status <> 'RUNNING' ORDER BY finished_at DESC, id DESC LIMIT 1)`;
  return { healthChecks, jobs };
}
