import { DESYNC_KINDS, type DesyncKind } from '../vocabulary';
import { levelEarned, requirementFor, type LevelTable } from './level-rules';

/** What the classifier needs to know of one (learner, specialization) pair. */
export interface PairFacts {
  progress: { level: number; totalXp: number; completedSessions: number } | null;
  license: { level: number; startedInFuture: boolean } | null;
  /** The learner or the specialization does not exist (foreign keys were bypassed). */
  orphan: boolean;
}

/**
 * Whether a progress row breaks the level rules: its level is not in the specialization's
 * table, its XP or sessions are below that level's minimum, or they earn a higher level.
 */
export function progressBreaksRules(p: NonNullable<PairFacts['progress']>, table: LevelTable | undefined): boolean {
  const req = table ? requirementFor(table, p.level) : undefined;
  if (!table || !req) return true;
  if (p.totalXp < req.xpRequired || p.completedSessions < req.sessionsRequired) return true;
  return levelEarned(table, p.totalXp, p.completedSessions) > p.level;
}

/**
 * The one definition of "what kind of desync is this pair", used by detection (the health
 * check and the sync job's planning), the repair policy and the dry run. Null when the pair is
 * consistent, or when neither row exists (there is no pair). One kind per pair, the first that
 * holds in this order, so that the kind's repair also mends what the later kinds describe:
 * orphan, invalid progress, missing license, missing progress, level mismatch, license in the
 * future.
 */
export function classifyPair(p: PairFacts, table: LevelTable | undefined): DesyncKind | null {
  if (!p.progress && !p.license) return null;
  if (p.orphan) return p.progress ? 'ORPHAN_PROGRESS' : 'ORPHAN_LICENSE';
  if (p.progress && progressBreaksRules(p.progress, table)) return 'INVALID_PROGRESS';
  if (!p.license) return 'MISSING_LICENSE';
  if (!p.progress) return 'MISSING_PROGRESS';
  if (p.progress.level !== p.license.level) return 'LEVEL_MISMATCH';
  return p.license.startedInFuture ? 'LICENSE_IN_FUTURE' : null;
}

/** A count per kind, all zero. */
export const emptyByKind = (): Record<DesyncKind, number> =>
  Object.fromEntries(DESYNC_KINDS.map((k) => [k, 0])) as Record<DesyncKind, number>;
