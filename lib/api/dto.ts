import type { Db } from '../db/prisma';
import { SyncError } from '../sync/errors';
import { getLearner, type Learner, type LearnerPair } from '../sync/learners';
import type { LicenseState } from '../sync/types';
import type { LearnerDto, LearnerRecordDto, PairDto } from './schemas';

/** The engine's read models as /api/v1 answers them (types from lib/api/schemas.ts): dates as ISO text. */

const iso = (d: Date) => d.toISOString();

const licenseDto = (l: LicenseState | null) =>
  l && { level: l.level, startedAt: iso(l.startedAt), lastAdvancedAt: l.lastAdvancedAt && iso(l.lastAdvancedAt), version: l.version };

export function toLearnerRecordDto(l: { id: number; email: string; name: string; createdAt: Date }): LearnerRecordDto {
  return { id: l.id, email: l.email, name: l.name, createdAt: iso(l.createdAt) };
}

function pairState(p: LearnerPair | undefined, specialization: string) {
  return {
    specialization,
    progress: p?.progress ?? null,
    license: licenseDto(p?.license ?? null),
    consistent: p ? p.kind === null : true,
    desync: p?.kind ?? null,
  };
}

export function toLearnerDto(l: Learner): LearnerDto {
  return {
    ...toLearnerRecordDto(l),
    pairs: l.pairs.map((p) => ({
      ...pairState(p, p.specializationId),
      since: p.since && iso(p.since),
      nextLevel: p.nextLevel && {
        level: p.nextLevel.level,
        xpRequired: p.nextLevel.xpRequired,
        sessionsRequired: p.nextLevel.sessionsRequired,
      },
    })),
  };
}

/**
 * One pair of a learner as it stands now (inside a write's transaction: as the write left it),
 * classified by the engine's one classifier. NOT_FOUND when the id is not a learner's, which
 * rolls back a write made to a staff account.
 */
export async function readPairDto(db: Db, learnerId: number, specialization: string): Promise<PairDto> {
  const learner = await getLearner(db, learnerId);
  if (!learner) throw new SyncError('NOT_FOUND', `Learner ${learnerId} does not exist.`);
  return {
    learnerId,
    ...pairState(
      learner.pairs.find((p) => p.specializationId === specialization),
      specialization,
    ),
  };
}
