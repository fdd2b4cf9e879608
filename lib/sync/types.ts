import type { AuditSource, CheckKind, DesyncKind, SyncJobStatus, SyncTrigger } from '../vocabulary';
import type { SpecializationId } from './level-rules';
import type { JobScope } from './scope';

export type { SpecializationId } from './level-rules';
export type { AuditSource, DesyncKind, SyncItemOutcome, SyncJobStatus, SyncTrigger } from '../vocabulary';
export { DESYNC_KINDS, REPAIRABLE_KINDS } from '../vocabulary';

/** Who does something: a signed-in staff member, the CLI, the scheduler or the app itself. */
export interface Actor {
  /** Shown in the audit log and job history: an email, "cli" or "scheduler". */
  label: string;
  userId?: number | null;
  source: AuditSource;
}

export interface ProgressState {
  level: number;
  totalXp: number;
  completedSessions: number;
  version: number;
}

export interface LicenseState {
  level: number;
  startedAt: Date;
  lastAdvancedAt: Date | null;
  version: number;
}

/** Both rows of one (learner, specialization) pair; null where the row does not exist. */
export interface PairState {
  userId: number;
  specializationId: SpecializationId;
  progress: ProgressState | null;
  license: LicenseState | null;
}

/** The level-relevant part of a pair, as recorded in job items and audit events. */
export interface PairSnapshot {
  progressLevel: number | null;
  licenseLevel: number | null;
  totalXp: number | null;
  completedSessions: number | null;
  /** When the license starts (ISO): in images recorded since undo exists, and in after-images of licenses a repair wrote. */
  licenseStartedAt?: string;
  /** When the license last advanced (ISO, or null): in images recorded since undo exists. */
  licenseLastAdvancedAt?: string | null;
}

export interface HealthSnapshot {
  /** The stored check's id; null for figures read live from the counters (lib/sync/health-check.ts#readHealth). */
  id: number | null;
  /** SNAPSHOT or AUDIT (stored), LIVE (read now, not stored). */
  kind: CheckKind | 'LIVE';
  checkedAt: Date;
  durationMs: number;
  totalPairs: number;
  consistentPairs: number;
  /** consistent / total, a fraction in [0, 1] (1 when there are no pairs). */
  consistencyRate: number;
  byKind: Record<DesyncKind, number>;
  orphans: number;
  /** Per specialization: its pairs and its desyncs by kind. */
  bySpecialization: Record<string, { pairs: number } & Partial<Record<DesyncKind, number>>>;
  /** AUDIT only: set entries and counters the audit corrected (0 unless the triggers were bypassed). */
  drift: number | null;
}

export interface DesyncRow {
  userId: number;
  email: string | null;
  name: string | null;
  specializationId: string;
  kind: DesyncKind;
  progressLevel: number | null;
  licenseLevel: number | null;
  since: Date;
  /**
   * Who left the pair in this state, as the judge at commit recorded it: a staff email, "api:<key name>",
   * "scheduler", "cli", "sql:<application_name or database user>" for any other writer, "audit" or "clock".
   */
  causedBy: string;
}

export interface SyncJobSummary {
  id: number;
  status: SyncJobStatus;
  trigger: SyncTrigger;
  actor: string;
  reason: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  heartbeatAt: Date;
  durationMs: number | null;
  found: number;
  total: number;
  done: number;
  synced: number;
  failed: number;
  reported: number;
  /** UNDO jobs: pairs left alone because they changed after the undone job left them. */
  conflicts: number;
  error: string | null;
  /** What the job was limited to; null for every desync (lib/sync/scope.ts). */
  scope: JobScope | null;
  /** UNDO jobs: the job whose repairs it puts back. */
  undoesJobId: number | null;
  /** CANCELLED jobs: who cancelled it. */
  cancelledBy: string | null;
}

/** One pair a sync job would touch (dry run) or touched. */
export interface PlannedRepair {
  userId: number;
  specializationId: string;
  email: string | null;
  kind: DesyncKind;
  before: PairSnapshot;
  /** null for orphans, which are reported and left alone. */
  after: PairSnapshot | null;
}

export interface SyncPreview {
  found: number;
  byKind: Record<DesyncKind, number>;
  /** The first `limit` planned repairs, in the order the job would apply them. */
  items: PlannedRepair[];
  /** What the preview (and the job it precedes) is limited to; null for every desync. */
  scope: JobScope | null;
}
