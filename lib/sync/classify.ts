import { DESYNC_KINDS, type DesyncKind } from '../vocabulary';

/** What the classifier needs to know of one (learner, specialization) pair. */
export interface PairFacts {
  progressLevel: number | null;
  licenseLevel: number | null;
  /** The learner or the specialization does not exist (foreign keys were bypassed). */
  orphan: boolean;
}

/**
 * The one definition of "what kind of desync is this pair", used by detection (the health
 * check and the sync job's planning), the repair policy and the dry run. Null when the pair is
 * consistent, or when neither row exists (there is no pair).
 */
export function classifyPair(p: PairFacts): DesyncKind | null {
  if (p.progressLevel === null && p.licenseLevel === null) return null;
  if (p.orphan) return p.progressLevel !== null ? 'ORPHAN_PROGRESS' : 'ORPHAN_LICENSE';
  if (p.licenseLevel === null) return 'MISSING_LICENSE';
  if (p.progressLevel === null) return 'MISSING_PROGRESS';
  return p.progressLevel === p.licenseLevel ? null : 'LEVEL_MISMATCH';
}

/** A count per kind, all zero. */
export const emptyByKind = (): Record<DesyncKind, number> =>
  Object.fromEntries(DESYNC_KINDS.map((k) => [k, 0])) as Record<DesyncKind, number>;
