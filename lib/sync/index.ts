/**
 * The sync engine: plain TypeScript over PostgreSQL, shared by the UI, scheduler, CLI and tests.
 * Every function that touches the database takes the client as its first argument.
 */
export { recordProgress, advanceLicense, getPair } from './coupled-writes';
export { demoteLicense } from './demotion';
export { createLearner, enroll, type LearnerRecord } from './enrollment';
export { getLearner, listLearners, type Learner, type LearnerPair } from './learners';
export { listLearnerHistory, type HistoryEntry } from './history';
export { readHealth, recordHealthSnapshot, getLatestHealthCheck, getLatestAudit, listHealthChecks } from './health-check';
export { runFullAudit, type AuditProgress } from './audit-pass';
export { compactCounters, readCausedByWriter } from './counters';
export { expireFutureLicenses, getForeignWrites, setForeignWrites, requestedAudit } from './detection-state';
export { listDesyncs, listDesyncWriters } from './desyncs';
export { desyncsByWriter, type WriterCount } from './attribution';
export { syncPair, type SyncPairResult } from './sync-pair';
export { previewSync } from './plan';
export { runSyncJob, startSyncJob, onJobEnded, type SyncJobOptions } from './jobs';
export { abandonStaleJobs, cancelSyncJob, heartbeatIntervalMs } from './job-rows';
export { runUndoJob, startUndoJob, previewUndo, listUndosOf, undoJobSchema } from './undo';
export type { UndoPreview, UndoPlanned, UndoJobOptions } from './undo';
export { describeScope, jobScopeSchema, MAX_SELECTED_PAIRS, type JobScope } from './scope';
export { getRunningJob, getSyncJob, listSyncJobs, listSyncJobItems, toSummary, type SyncJobItemRow } from './job-reads';
export { pruneHistory } from './retention';
export { writeAuditEvent, listAuditEvents, listAuditFacets, type AuditEventRow, type AuditEventInput } from './audit';
export { SyncError, isSyncError, alreadyRunningMessage, type SyncErrorCode } from './errors';
export * from './types';
export { SPECIALIZATIONS } from './level-rules';
export { findOrphans, deleteOrphans, restoreOrphans, readBackup, type OrphanBackup } from './orphans';
export { readTrend, readJobHistory, TREND_RANGES, type TrendRange, type Trend, type TrendMarker, type JobHistory } from './trend';
