import type { DbTx } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import type { LicenseState, PairSnapshot, PairState, ProgressState, SpecializationId } from './types';

type Tx = DbTx;

interface ProgressRow {
  current_level: number;
  total_xp: number;
  completed_sessions: number;
  version: number;
}
interface LicenseRow {
  current_level: number;
  started_at: Date;
  last_advanced_at: Date | null;
  version: number;
}

const toProgress = (r: ProgressRow | undefined): ProgressState | null =>
  r ? { level: r.current_level, totalXp: r.total_xp, completedSessions: r.completed_sessions, version: r.version } : null;
const toLicense = (r: LicenseRow | undefined): LicenseState | null =>
  r ? { level: r.current_level, startedAt: r.started_at, lastAdvancedAt: r.last_advanced_at, version: r.version } : null;

/**
 * Reads both rows of a pair; with `lock`, takes them FOR UPDATE in SyncWatch's one fixed order,
 * progress then license, so two writers of the same pair can never deadlock on it.
 */
export async function readPair(tx: Tx, userId: number, specializationId: string, lock: boolean): Promise<PairState> {
  const forUpdate = lock ? Prisma.sql`FOR UPDATE` : Prisma.empty;
  const progress = await tx.$queryRaw<ProgressRow[]>`
    SELECT current_level, total_xp, completed_sessions, version FROM specialization_progress
    WHERE user_id = ${userId} AND specialization_id = ${specializationId} ${forUpdate}`;
  const license = await tx.$queryRaw<LicenseRow[]>`
    SELECT current_level, started_at, last_advanced_at, version FROM user_licenses
    WHERE user_id = ${userId} AND specialization_id = ${specializationId} ${forUpdate}`;
  return {
    userId,
    specializationId: specializationId as SpecializationId,
    progress: toProgress(progress[0]),
    license: toLicense(license[0]),
  };
}

export function snapshot(pair: Pick<PairState, 'progress' | 'license'>): PairSnapshot {
  return {
    progressLevel: pair.progress?.level ?? null,
    licenseLevel: pair.license?.level ?? null,
    totalXp: pair.progress?.totalXp ?? null,
    completedSessions: pair.progress?.completedSessions ?? null,
  };
}
