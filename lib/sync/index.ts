/** The sync engine: plain TypeScript over PostgreSQL, shared by the UI, scheduler, CLI and tests. */
export { recordProgress, advanceLicense, getPair } from './coupled-writes';
export { runHealthCheck, getLatestHealthCheck, listHealthChecks } from './health-check';
export { listDesyncs } from './desyncs';
export { syncPair, type SyncPairResult } from './sync-pair';
export {
  previewSync, runSyncJob, startSyncJob, getRunningJob, getSyncJob, listSyncJobs, listSyncJobItems,
  abandonStaleJobs, pruneHistory, toSummary, type SyncJobItemRow, type SyncJobOptions,
} from './jobs';
export { writeAuditEvent, listAuditEvents, listAuditFacets, type AuditEventRow, type AuditEventInput } from './audit';
export { SyncError, isSyncError, type SyncErrorCode } from './errors';
export * from './types';
export { SPECIALIZATIONS } from './level-rules';
export { findOrphans, deleteOrphans, restoreOrphans, readBackup, type OrphanBackup } from './orphans';
