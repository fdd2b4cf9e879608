import type { Db } from '../db/prisma';
import { writeAuditEvent } from './audit';
import { TX_OPTIONS, withRetry } from './db-errors';
import { SyncError } from './errors';
import { requirementFor } from './level-rules';
import { requireLevel } from './levels';
import { lockPairs } from './locks';
import { readPair, snapshot } from './pair';
import type { Actor, PairState } from './types';
import { demoteLicenseSchema, parseInput } from './validation';

/**
 * Demotion, the admin path down (docs/decisions/012-demotion.md): the license and the progress
 * move to a lower level, and the progress's XP and sessions are capped just below the next
 * level's thresholds, so the level rule does not earn the old level back at the next
 * recordProgress. The amounts removed are in the audit event. A reason is required.
 */
export async function demoteLicense(
  db: Db,
  userId: number,
  specializationId: string,
  targetLevel: number,
  actor: Actor,
  reason: string,
  opts: { expectedVersion?: number } = {},
): Promise<PairState> {
  const v = parseInput(demoteLicenseSchema, { userId, specializationId, targetLevel, reason, ...opts });
  const { table, requirement: req } = await requireLevel(db, v.specializationId, v.targetLevel);
  const next = requirementFor(table, v.targetLevel + 1);
  return withRetry(() =>
    db.$transaction(async (tx) => {
      await lockPairs(tx, actor, [v]);
      const before = await readPair(tx, v.userId, v.specializationId, true);
      if (!before.progress || !before.license) {
        throw new SyncError('NOT_FOUND', `Learner ${v.userId} is not enrolled in ${v.specializationId} (no progress or no license).`);
      }
      if (v.expectedVersion !== undefined && before.license.version !== v.expectedVersion) {
        throw new SyncError('CONFLICT', 'This license was changed by someone else since you loaded it. Reload and try again.');
      }
      if (v.targetLevel >= before.license.level) {
        throw new SyncError('VALIDATION', `A demotion goes below the current level ${before.license.level}; use an advance to go up.`, {
          issues: [{ path: 'targetLevel', message: `must be below ${before.license.level}` }],
        });
      }
      // Within [the target level's minimum, just below the next level's thresholds].
      const clamp = (n: number, min: number, max: number | undefined) => Math.max(min, max === undefined ? n : Math.min(n, max));
      const xp = clamp(before.progress.totalXp, req.xpRequired, next && next.xpRequired - 1);
      const sessions = clamp(before.progress.completedSessions, req.sessionsRequired, next && next.sessionsRequired - 1);
      await tx.$executeRaw`UPDATE specialization_progress
        SET current_level = ${v.targetLevel}, total_xp = ${xp}, completed_sessions = ${sessions}
        WHERE user_id = ${v.userId} AND specialization_id = ${v.specializationId}`;
      await tx.$executeRaw`UPDATE user_licenses
        SET current_level = ${v.targetLevel}, last_advanced_at = greatest(now(), started_at)
        WHERE user_id = ${v.userId} AND specialization_id = ${v.specializationId}`;
      const after = await readPair(tx, v.userId, v.specializationId, false);
      await writeAuditEvent(tx, {
        actor,
        action: 'DEMOTE_LICENSE',
        userId: v.userId,
        specializationId: v.specializationId,
        before: snapshot(before),
        after: {
          ...snapshot(after),
          xpRemoved: before.progress.totalXp - xp,
          sessionsRemoved: before.progress.completedSessions - sessions,
        },
        reason: v.reason,
      });
      return after;
    }, TX_OPTIONS),
  );
}
