import { beforeOf, type LoadedPair } from './repair';
import type { DesyncKind, PairSnapshot, SyncItemOutcome } from './types';

/**
 * The undo policy, as a pure function over a pair loaded now and the item the undone job
 * recorded for it (docs/decisions/015-operator-control.md). A pair is put back to the item's
 * before-image only while it is exactly as the job left it: each row present or absent as the
 * job left it, with the same levels and progress, and the same version (the trigger-kept counter
 * every UPDATE bumps, raw SQL included). Otherwise it is a CONFLICT, recorded with both states
 * and left alone. The dry run and the undo job decide alike through this function.
 */

/** The item of the undone job, as recorded. */
export interface UndoneItem {
  id: string;
  userId: number;
  specializationId: string;
  kind: DesyncKind;
  before: PairSnapshot;
  after: PairSnapshot | null;
  /** The rows' versions as the job left them; null where a row was absent (or for items recorded before versions were). */
  progressVersion: number | null;
  licenseVersion: number | null;
  /** The earlier undo of this job (cancelled or failed part-way) that already put this pair back, if any. */
  restoredBy?: number | null;
}

export type ProgressWrite =
  { op: 'KEEP' | 'DELETE' } | { op: 'UPDATE' | 'INSERT'; level: number; totalXp: number; completedSessions: number };
export type LicenseWrite =
  { op: 'KEEP' | 'DELETE' } | { op: 'UPDATE' | 'INSERT'; level: number; startedAt: string | null; lastAdvancedAt: string | null };

export interface UndoDecision {
  userId: number;
  specializationId: string;
  email: string | null;
  kind: DesyncKind;
  /** SYNCED (put back), CONFLICT (changed since the job) or SKIPPED (already as the job found it). */
  outcome: Extract<SyncItemOutcome, 'SYNCED' | 'CONFLICT' | 'SKIPPED'>;
  /** The pair now. */
  before: PairSnapshot;
  /** SYNCED: the image put back. CONFLICT: the state the job left, which the pair no longer has. */
  after: PairSnapshot | null;
  /** Why a pair is a conflict, in a sentence. */
  note: string | null;
  progress: ProgressWrite;
  license: LicenseWrite;
  /** The rows' versions now (kept on the item for a row the undo does not write). */
  versions: { progress: number | null; license: number | null };
}

const same = (a: string | null | undefined, b: Date | null) =>
  a === undefined || (a === null ? b === null : b !== null && Date.parse(a) === b.getTime());

/** How the pair differs from what the job left, one phrase per difference; empty when it is exactly as left. */
export function changesSince(now: LoadedPair, item: UndoneItem): string[] {
  const left = item.after;
  if (!left) return ['the job recorded no after-image for it'];
  const out: string[] = [];
  if ((left.progressLevel === null) !== (now.progressLevel === null)) {
    out.push(now.progressLevel === null ? 'its progress was deleted' : 'a progress row was created');
  } else if (now.progressLevel !== null) {
    if (now.progressLevel !== left.progressLevel || now.totalXp !== left.totalXp || now.completedSessions !== left.completedSessions) {
      out.push(`progress is now level ${now.progressLevel}, ${now.totalXp} XP, ${now.completedSessions} sessions`);
    } else if (item.progressVersion !== null && now.progressVersion !== item.progressVersion) {
      out.push(`progress was written again (version ${item.progressVersion} -> ${now.progressVersion})`);
    }
  }
  if ((left.licenseLevel === null) !== (now.licenseLevel === null)) {
    out.push(now.licenseLevel === null ? 'its license was deleted' : 'a license was created');
  } else if (now.licenseLevel !== null) {
    if (now.licenseLevel !== left.licenseLevel) out.push(`the license is now level ${now.licenseLevel}`);
    else if (!same(left.licenseStartedAt, now.licenseStartedAt)) out.push('the license start changed');
    else if (!same(left.licenseLastAdvancedAt, now.licenseLastAdvancedAt)) out.push('the license last advanced at another time');
    else if (item.licenseVersion !== null && now.licenseVersion !== item.licenseVersion) {
      out.push(`the license was written again (version ${item.licenseVersion} -> ${now.licenseVersion})`);
    }
  }
  return out;
}

/** What putting `target` back takes, side by side, from the pair as it is now. */
function writesTo(now: LoadedPair, target: PairSnapshot): { progress: ProgressWrite; license: LicenseWrite } {
  let progress: ProgressWrite = { op: 'KEEP' };
  if (target.progressLevel === null) {
    if (now.progressLevel !== null) progress = { op: 'DELETE' };
  } else {
    const row = { level: target.progressLevel, totalXp: target.totalXp ?? 0, completedSessions: target.completedSessions ?? 0 };
    const differs = row.level !== now.progressLevel || row.totalXp !== now.totalXp || row.completedSessions !== now.completedSessions;
    if (now.progressLevel === null) progress = { op: 'INSERT', ...row };
    else if (differs) progress = { op: 'UPDATE', ...row };
  }
  let license: LicenseWrite = { op: 'KEEP' };
  if (target.licenseLevel === null) {
    if (now.licenseLevel !== null) license = { op: 'DELETE' };
  } else {
    // An image recorded before undo existed has no license dates: the start is kept (or now, for a new row).
    const startedAt = target.licenseStartedAt ?? now.licenseStartedAt?.toISOString() ?? null;
    const lastAdvancedAt =
      target.licenseLastAdvancedAt === undefined ? (now.licenseLastAdvancedAt?.toISOString() ?? null) : target.licenseLastAdvancedAt;
    const row = { level: target.licenseLevel, startedAt, lastAdvancedAt };
    const differs =
      row.level !== now.licenseLevel || !same(row.startedAt, now.licenseStartedAt) || !same(row.lastAdvancedAt, now.licenseLastAdvancedAt);
    if (now.licenseLevel === null) license = { op: 'INSERT', ...row };
    else if (differs) license = { op: 'UPDATE', ...row };
  }
  return { progress, license };
}

export function decideUndo(now: LoadedPair, item: UndoneItem): UndoDecision {
  const base = {
    userId: now.userId,
    specializationId: now.specializationId,
    email: now.email,
    kind: item.kind,
    before: beforeOf(now),
    versions: { progress: now.progressVersion, license: now.licenseVersion },
  };
  const keep = { progress: { op: 'KEEP' }, license: { op: 'KEEP' } } as const;
  // An earlier undo of this job (cancelled or failed part-way) put the pair back: that undo owns it now.
  if (item.restoredBy) {
    return { ...base, ...keep, outcome: 'SKIPPED', after: base.before, note: `Already put back by undo job #${item.restoredBy}.` };
  }
  const changes = changesSince(now, item);
  if (changes.length) {
    const note = `Changed since the undone job left it (${changes.join('; ')}): left as it is.`;
    return { ...base, ...keep, outcome: 'CONFLICT', after: item.after, note };
  }
  const writes = writesTo(now, item.before);
  if (writes.progress.op === 'KEEP' && writes.license.op === 'KEEP') {
    return { ...base, ...keep, outcome: 'SKIPPED', after: base.before, note: 'Already as the undone job found it.' };
  }
  return { ...base, ...writes, outcome: 'SYNCED', after: item.before, note: null };
}
