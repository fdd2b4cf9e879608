import type { Db } from '../db/prisma';
import { writeAuditEvent } from './audit';
import { pgError, TX_OPTIONS, withRetry } from './db-errors';
import { SyncError } from './errors';
import { lockPairs } from './locks';
import { readPair, snapshot } from './pair';
import type { Actor, PairState } from './types';
import { createLearnerSchema, pairSchema, parseInput } from './validation';

/** Learners and their enrolment in a specialization: the rows a pair starts from. */

export interface LearnerRecord {
  id: number;
  email: string;
  name: string;
  createdAt: Date;
}

/** Creates a learner (role STUDENT). CONFLICT when the email is taken. */
export async function createLearner(db: Db, input: { email: string; name: string }, actor: Actor): Promise<LearnerRecord> {
  const v = parseInput(createLearnerSchema, input);
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: v.email, name: v.name },
        select: { id: true, email: true, name: true, createdAt: true },
      });
      await writeAuditEvent(tx, { actor, action: 'CREATE_LEARNER', userId: user.id, after: { email: user.email, name: user.name } });
      return user;
    }, TX_OPTIONS);
  } catch (err) {
    if (pgError(err).code === '23505' || (err as { code?: string }).code === 'P2002') {
      throw new SyncError('CONFLICT', `A user with the email ${v.email} already exists.`);
    }
    throw err;
  }
}

/**
 * Enrolls a learner in a specialization: progress and license at level 1, in one transaction
 * serialized on the pair. CONFLICT when the learner already has either row.
 */
export async function enroll(db: Db, userId: number, specializationId: string, actor: Actor): Promise<PairState> {
  const v = parseInput(pairSchema, { userId, specializationId });
  return withRetry(() =>
    db.$transaction(async (tx) => {
      const learner = await tx.user.findUnique({ where: { id: v.userId }, select: { id: true, role: true } });
      if (!learner || learner.role !== 'STUDENT') throw new SyncError('NOT_FOUND', `Learner ${v.userId} does not exist.`);
      await lockPairs(tx, actor, [v]);
      const before = await readPair(tx, v.userId, v.specializationId, true);
      if (before.progress || before.license) {
        throw new SyncError('CONFLICT', `Learner ${v.userId} is already enrolled in ${v.specializationId}.`);
      }
      await tx.$executeRaw`
        INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
        VALUES (${v.userId}, ${v.specializationId}, 1, 0, 0)`;
      await tx.$executeRaw`
        INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
        VALUES (${v.userId}, ${v.specializationId}, 1, now())`;
      const after = await readPair(tx, v.userId, v.specializationId, false);
      await writeAuditEvent(tx, {
        actor,
        action: 'ENROLL',
        userId: v.userId,
        specializationId: v.specializationId,
        before: snapshot(before),
        after: snapshot(after),
      });
      return after;
    }, TX_OPTIONS),
  );
}
