import { classifyPair } from './classify';
import { levelEarned, requirementFor, type LevelTable } from './level-rules';
import type { DesyncKind, PairSnapshot, PlannedRepair } from './types';

/**
 * The repair policy, as a pure function over a loaded pair. Used alike by the dry run, the sync
 * job (batches of many pairs) and syncPair (a batch of one), so a dry run shows exactly what a
 * real run does (docs/decisions/011-desync-kinds-and-repair-policy.md):
 *
 *   INVALID_PROGRESS  both rows take the level the progress's XP and sessions earn (the license
 *                     is created at that level when missing)
 *   MISSING_LICENSE   a license is created at the progress level
 *   MISSING_PROGRESS  progress is created at the license level's minimum XP and sessions; when
 *                     that level does not exist, the pair is reported
 *   LEVEL_MISMATCH    the license takes the progress level (progress is the source of truth)
 *   LICENSE_IN_FUTURE the license's start moves back to now
 *   ORPHAN_*          reported, never changed
 */

export interface LoadedPair {
  userId: number;
  specializationId: string;
  email: string | null;
  progressLevel: number | null;
  totalXp: number | null;
  completedSessions: number | null;
  licenseLevel: number | null;
  licenseStartedInFuture: boolean;
  licenseStartedAt: Date | null;
  licenseLastAdvancedAt: Date | null;
  /** The rows' versions (bumped by a trigger on every UPDATE); null where the row does not exist. */
  progressVersion: number | null;
  licenseVersion: number | null;
  userExists: boolean;
  specializationExists: boolean;
}

export type RepairAction =
  'SET_LICENSE_LEVEL' | 'SET_BOTH_LEVELS' | 'CREATE_LICENSE' | 'CREATE_PROGRESS' | 'RESET_LICENSE_START' | 'REPORT' | 'NONE';

export interface Decision extends PlannedRepair {
  action: RepairAction;
  /** The level the written rows get. */
  targetLevel: number | null;
  /** Why a pair is only reported. */
  reason: string | null;
  /** The rows' versions when the pair was loaded (kept on the job item for a row the repair does not write). */
  versions?: { progress: number | null; license: number | null };
}

export function kindOf(p: LoadedPair, table: LevelTable | undefined): DesyncKind | null {
  const progress =
    p.progressLevel === null ? null : { level: p.progressLevel, totalXp: p.totalXp ?? 0, completedSessions: p.completedSessions ?? 0 };
  const license = p.licenseLevel === null ? null : { level: p.licenseLevel, startedInFuture: p.licenseStartedInFuture };
  return classifyPair({ progress, license, orphan: !p.userExists || !p.specializationExists }, table);
}

/** The pair's image as recorded in job items: enough to put it back exactly (lib/sync/undo.ts). */
export function beforeOf(p: LoadedPair): PairSnapshot {
  const levels = {
    progressLevel: p.progressLevel,
    licenseLevel: p.licenseLevel,
    totalXp: p.totalXp,
    completedSessions: p.completedSessions,
  };
  if (!p.licenseStartedAt) return levels;
  return {
    ...levels,
    licenseStartedAt: p.licenseStartedAt.toISOString(),
    licenseLastAdvancedAt: p.licenseLastAdvancedAt?.toISOString() ?? null,
  };
}

/**
 * What to do with one pair. `planned` is the kind the job planned it under: a pair found
 * consistent when locked is SKIPPED under that kind.
 */
export function decide(p: LoadedPair, tables: Map<string, LevelTable>, planned?: DesyncKind): Decision {
  const table = tables.get(p.specializationId);
  const kind = kindOf(p, table);
  const before = beforeOf(p);
  const versions = { progress: p.progressVersion, license: p.licenseVersion };
  const base = { userId: p.userId, specializationId: p.specializationId, email: p.email, before, reason: null, versions };
  const report = (k: DesyncKind, reason: string): Decision => ({
    ...base,
    kind: k,
    action: 'REPORT',
    targetLevel: null,
    after: null,
    reason,
  });
  switch (kind) {
    case null:
      return { ...base, kind: planned ?? 'LEVEL_MISMATCH', action: 'NONE', targetLevel: null, after: before };
    case 'INVALID_PROGRESS': {
      if (!table?.length) return report(kind, `${p.specializationId} has no level requirements.`);
      const earned = levelEarned(table, before.totalXp ?? 0, before.completedSessions ?? 0);
      return {
        ...base,
        kind,
        action: 'SET_BOTH_LEVELS',
        targetLevel: earned,
        after: { ...before, progressLevel: earned, licenseLevel: earned },
      };
    }
    case 'LEVEL_MISMATCH':
    case 'MISSING_LICENSE':
      return {
        ...base,
        kind,
        action: kind === 'LEVEL_MISMATCH' ? 'SET_LICENSE_LEVEL' : 'CREATE_LICENSE',
        targetLevel: p.progressLevel,
        after: { ...before, licenseLevel: p.progressLevel },
      };
    case 'MISSING_PROGRESS': {
      const req = requirementFor(table ?? [], p.licenseLevel!);
      if (!req) return report(kind, `Level ${p.licenseLevel} does not exist for ${p.specializationId}: no progress can be created for it.`);
      return {
        ...base,
        kind,
        action: 'CREATE_PROGRESS',
        targetLevel: p.licenseLevel,
        // The license is not written: its image (start, last advance) stays as it was.
        after: { ...before, progressLevel: p.licenseLevel, totalXp: req.xpRequired, completedSessions: req.sessionsRequired },
      };
    }
    case 'LICENSE_IN_FUTURE':
      return { ...base, kind, action: 'RESET_LICENSE_START', targetLevel: null, after: before };
    default:
      return report(kind, 'Orphans are reported, never changed: the learner or the specialization does not exist.');
  }
}
