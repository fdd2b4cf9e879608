import {
  ChannelKind,
  IncidentCondition,
  IncidentEventKind,
  NotificationEvent,
  AuditSource,
  CheckKind,
  DesyncKind,
  ForeignWrites,
  PairEffect,
  Role,
  ScheduleName,
  ScheduleRunStatus,
  SyncItemOutcome,
  SyncJobStatus,
  SyncTrigger,
} from './generated/prisma/enums';

/**
 * SyncWatch's one vocabulary. The database's enums (prisma/schema.prisma) are the source; this
 * module re-exports Prisma's generated values and types, and adds the lists and labels derived
 * from them. It imports nothing that touches a database, so the browser bundle may use it too.
 */

export {
  ChannelKind,
  IncidentCondition,
  IncidentEventKind,
  NotificationEvent,
  AuditSource,
  CheckKind,
  DesyncKind,
  ForeignWrites,
  PairEffect,
  Role,
  ScheduleName,
  ScheduleRunStatus,
  SyncItemOutcome,
  SyncJobStatus,
  SyncTrigger,
};

type Values<E extends Record<string, string>> = [E[keyof E], ...E[keyof E][]];
const values = <E extends Record<string, string>>(e: E) => Object.values(e) as Values<E>;

export const DESYNC_KINDS = values(DesyncKind);
export const SYNC_JOB_STATUSES = values(SyncJobStatus);
export const SYNC_TRIGGERS = values(SyncTrigger);
export const SYNC_ITEM_OUTCOMES = values(SyncItemOutcome);
export const SCHEDULE_NAMES = values(ScheduleName);
export const FOREIGN_WRITE_MODES = values(ForeignWrites);
export const INCIDENT_CONDITIONS = values(IncidentCondition);
export const CHANNEL_KINDS = values(ChannelKind);

/** Each incident condition in words, for pages, notifications and the CLI. */
export const CONDITION_LABELS: Record<IncidentCondition, string> = {
  CONSISTENCY_BELOW_TARGET: 'Consistency below target',
  SYNC_OVERDUE: 'Sync overdue',
  SYNC_JOB_FAILED: 'Sync job did not succeed',
  ORPHANS_PRESENT: 'Orphans present',
  AUDIT_DRIFT: 'Full-audit drift',
  WRITER_BURST: 'Desync burst from one writer',
};

/** The kinds a sync job repairs; orphans are only reported (docs/decisions/011-desync-kinds-and-repair-policy.md). */
export const REPAIRABLE_KINDS = [
  DesyncKind.LEVEL_MISMATCH,
  DesyncKind.MISSING_LICENSE,
  DesyncKind.MISSING_PROGRESS,
  DesyncKind.INVALID_PROGRESS,
  DesyncKind.LICENSE_IN_FUTURE,
] as const;

/** A sync job's terminal statuses that count as having run (the job-health "last success"). */
export const SUCCESSFUL_JOB_STATUSES = [SyncJobStatus.SUCCEEDED, SyncJobStatus.PARTIAL] as const;

/**
 * Every action an audit event can record. The engine writes them (and sw_record_progress writes
 * RECORD_PROGRESS in SQL); the audit log's filter offers exactly these.
 */
export const AUDIT_ACTIONS = [
  'CREATE_LEARNER',
  'ENROLL',
  'RECORD_PROGRESS',
  'ADVANCE_LICENSE',
  'DEMOTE_LICENSE',
  'SYNC_PAIR',
  'SYNC_JOB_REPAIR',
  'SYNC_JOB_STARTED',
  'SYNC_JOB_FINISHED',
  /** An operator stopped a running job ("Cancel job", `syncwatch jobs cancel`). */
  'SYNC_JOB_CANCELLED',
  /** An UNDO job put one pair back as the undone job found it. */
  'SYNC_JOB_UNDO',
  'HEALTH_CHECK',
  'FULL_AUDIT',
  /** FOREIGN_WRITES=heal completed a foreign write at its commit (written by the database, source DATABASE). */
  'FOREIGN_WRITE_HEALED',
  /** FOREIGN_WRITES=enforce let a desync through: the writer opted out with SET LOCAL syncwatch.allow_desync = on. */
  'DESYNC_ALLOWED',
  'ACCESS_DENIED',
  'ORPHANS_DELETED',
  'ORPHANS_RESTORED',
  'API_KEY_CREATED',
  'API_KEY_REVOKED',
  'INCIDENT_ACKNOWLEDGED',
  'CHANNEL_ADDED',
  'CHANNEL_REMOVED',
  'CHANNEL_TESTED',
  'MAINTENANCE_STARTED',
  'MAINTENANCE_ENDED',
  /** Staff accounts (lib/auth/staff.ts): never a password or its hash in before/after. */
  'STAFF_ADDED',
  'STAFF_ROLE_CHANGED',
  'STAFF_DISABLED',
  'STAFF_ENABLED',
  /** An admin (or the CLI) set another account's password. */
  'STAFF_PASSWORD_RESET',
  /** A staff member changed their own password. */
  'STAFF_PASSWORD_CHANGED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * What a refused request was attempting, recorded in ACCESS_DENIED events (`after.attempted`):
 * the audit actions themselves, plus the read-only views and previews that write no event of
 * their own.
 */
export type AttemptedAction =
  | AuditAction
  | 'SYNC_PREVIEW'
  | 'UNDO_PREVIEW'
  | 'VIEW_DASHBOARD'
  | 'VIEW_EVENTS'
  | 'VIEW_DESYNCS'
  | 'VIEW_SYNC_JOBS'
  | 'VIEW_SYNC_JOB'
  | 'VIEW_AUDIT_LOG'
  | 'VIEW_API_KEYS'
  | 'VIEW_STAFF'
  | 'VIEW_ACCOUNT'
  | 'VIEW_INCIDENTS'
  | 'VIEW_NOTIFICATIONS'
  | 'VIEW_LEARNERS'
  | 'VIEW_LEARNER'
  | 'EXPORT_DESYNCS'
  | 'EXPORT_SYNC_JOBS'
  | 'EXPORT_AUDIT_LOG';

export const KIND_LABELS: Record<DesyncKind, string> = {
  LEVEL_MISMATCH: 'Level mismatch',
  MISSING_LICENSE: 'Missing license',
  MISSING_PROGRESS: 'Missing progress',
  ORPHAN_PROGRESS: 'Orphan progress',
  ORPHAN_LICENSE: 'Orphan license',
  INVALID_PROGRESS: 'Invalid progress',
  LICENSE_IN_FUTURE: 'License in future',
};

/** Staff roles that may use the dashboard, lowest first. STUDENT is not a staff role. */
export const STAFF_ROLES = [Role.VIEWER, Role.ADMIN] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** What an API key may do (/api/v1). */
export const API_SCOPES = ['learners:read', 'learners:write', 'progress:write', 'licenses:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
