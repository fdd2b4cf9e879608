import type { Db } from '../db/prisma';
import { pgError, TX_OPTIONS, withRetry } from './db-errors';
import { SyncError } from './errors';
import { levelEarned } from './level-rules';
import { lockPairs } from './locks';
import { requireLevel } from './levels';
import { readPair, snapshot } from './pair';
import type { Actor, PairState, SpecializationId } from './types';
import { advanceLicenseSchema, pairSchema, parseInput, recordProgressSchema } from './validation';
import { writeAuditEvent } from './audit';

/**
 * Coupled writes: every level change writes the progress row and the license row in one
 * transaction, rows locked progress-then-license, and records one audit event. The app itself
 * therefore never produces a desync, whatever runs concurrently.
 */

/** Which row a foreign key names, by its constraint: the learner, or the level of a specialization. */
export function missingReferent(constraint: string | undefined, userId: number, specializationId: string, level?: number): string {
  if (constraint?.endsWith('_user_id_fkey')) return `Learner ${userId} does not exist.`;
  if (constraint?.endsWith('_current_level_fkey')) {
    return level === undefined
      ? `A level of ${specializationId} does not exist.`
      : `Level ${level} does not exist for ${specializationId}.`;
  }
  if (constraint?.includes('specialization')) return `Specialization ${specializationId} does not exist.`;
  return `A row this write refers to does not exist (${constraint ?? 'foreign key'}).`;
}

/** Maps what PostgreSQL refused to the engine's typed errors; anything else is rethrown. */
function mapWriteError(err: unknown, userId: number, specializationId: string, level?: number): never {
  const { code, message, constraint } = pgError(err);
  if (code === 'SW409') throw new SyncError('CONFLICT', 'This pair was changed by someone else since you loaded it. Reload and try again.');
  if (code === '23503') throw new SyncError('NOT_FOUND', missingReferent(constraint, userId, specializationId, level));
  if (code === '22003') throw new SyncError('VALIDATION', 'The totals would exceed the largest value SyncWatch stores.');
  if (code === '23514') throw new SyncError('VALIDATION', `The change breaks a rule of the data model (${message ?? 'check constraint'}).`);
  throw err;
}

export async function getPair(db: Db, userId: number, specializationId: string): Promise<PairState> {
  const input = parseInput(pairSchema, { userId, specializationId });
  return readPair(db, input.userId, input.specializationId, false);
}

interface RecordRow {
  progress_level: number;
  total_xp: number;
  completed_sessions: number;
  progress_version: number;
  license_level: number;
  license_started_at: Date;
  license_last_advanced_at: Date | null;
  license_version: number;
}

/**
 * Adds XP and sessions, raises the level as far as the requirements allow (both thresholds,
 * several levels at once, never past the maximum) and writes the license to the same level,
 * creating it when missing. One round trip: the work runs in sw_record_progress (migration
 * `coupled_writes`), which implements the rule of level-rules.ts#levelEarned.
 */
export async function recordProgress(
  db: Db,
  userId: number,
  specializationId: string,
  input: { xpGained: number; sessionsCompleted: number; expectedVersion?: number },
  actor: Actor,
): Promise<PairState> {
  const v = parseInput(recordProgressSchema, { userId, specializationId, ...input });
  const rows = await withRetry(
    () =>
      db.$queryRaw<RecordRow[]>`
        SELECT * FROM sw_record_progress(${v.userId}::int, ${v.specializationId}::text, ${v.xpGained}::int,
          ${v.sessionsCompleted}::int, ${v.expectedVersion ?? null}::int,
          ${actor.label}::text, ${actor.userId ?? null}::int, ${actor.source}::"AuditSource")`,
  ).catch((err) => mapWriteError(err, v.userId, v.specializationId));
  const r = rows[0]!;
  return {
    userId: v.userId,
    specializationId: v.specializationId,
    progress: { level: r.progress_level, totalXp: r.total_xp, completedSessions: r.completed_sessions, version: r.progress_version },
    license: {
      level: r.license_level,
      startedAt: r.license_started_at,
      lastAdvancedAt: r.license_last_advanced_at,
      version: r.license_version,
    },
  };
}

/**
 * The admin path: the license moves to `targetLevel` and the progress follows in the same
 * transaction, its XP and sessions raised to that level's minimum when below it. A stale
 * `expectedVersion` (the license version the screen showed) gives CONFLICT. A level below the
 * one the progress's XP and sessions already earn is refused: the pair would break the level
 * rules (INVALID_PROGRESS), and a coupled write never leaves a desync behind.
 */
export async function advanceLicense(
  db: Db,
  userId: number,
  specializationId: string,
  targetLevel: number,
  actor: Actor,
  reason?: string | null,
  opts: { expectedVersion?: number } = {},
): Promise<PairState> {
  const v = parseInput(advanceLicenseSchema, { userId, specializationId, targetLevel, reason, ...opts });
  const { table, requirement: req } = await requireLevel(db, v.specializationId, v.targetLevel);
  return withRetry(() =>
    db.$transaction(async (tx) => {
      await lockPairs(tx, actor, [{ userId: v.userId, specializationId: v.specializationId }]);
      const before = await readPair(tx, v.userId, v.specializationId, true);
      if (v.expectedVersion !== undefined && before.license?.version !== v.expectedVersion) {
        throw new SyncError('CONFLICT', 'This license was changed by someone else since you loaded it. Reload and try again.');
      }
      const earned = before.progress ? levelEarned(table, before.progress.totalXp, before.progress.completedSessions) : 1;
      if (earned > v.targetLevel) {
        throw new SyncError(
          'VALIDATION',
          `The progress already earns level ${earned} of ${v.specializationId}; the license cannot be set below it.`,
          { issues: [{ path: 'targetLevel', message: `must be at least ${earned}` }] },
        );
      }
      if (before.progress) {
        await tx.$executeRaw`UPDATE specialization_progress
          SET current_level = ${v.targetLevel}, total_xp = greatest(total_xp, ${req.xpRequired}),
              completed_sessions = greatest(completed_sessions, ${req.sessionsRequired})
          WHERE user_id = ${v.userId} AND specialization_id = ${v.specializationId}`;
      } else {
        await tx.$executeRaw`INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
          VALUES (${v.userId}, ${v.specializationId}, ${v.targetLevel}, ${req.xpRequired}, ${req.sessionsRequired})`;
      }
      if (before.license) {
        await tx.$executeRaw`UPDATE user_licenses
          SET current_level = ${v.targetLevel}, last_advanced_at = greatest(now(), started_at)
          WHERE user_id = ${v.userId} AND specialization_id = ${v.specializationId}`;
      } else {
        await tx.$executeRaw`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
          VALUES (${v.userId}, ${v.specializationId}, ${v.targetLevel}, now())`;
      }
      const after = await readPair(tx, v.userId, v.specializationId, false);
      await writeAuditEvent(tx, {
        actor,
        action: 'ADVANCE_LICENSE',
        userId: v.userId,
        specializationId: v.specializationId,
        before: snapshot(before),
        after: snapshot(after),
        reason: v.reason,
      });
      return after;
    }, TX_OPTIONS),
  ).catch((err) => {
    if (err instanceof SyncError) throw err;
    return mapWriteError(err, v.userId, v.specializationId, v.targetLevel);
  });
}

export type { SpecializationId };
