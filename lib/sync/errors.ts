/**
 * Typed errors of the sync engine. Every caller (server actions, route handlers, the CLI, the
 * scheduler) maps `code` to its own surface; `message` is a readable sentence, never SQL.
 */

export const SYNC_ERROR_CODES = ['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'ALREADY_RUNNING', 'FORBIDDEN', 'UNAVAILABLE'] as const;
export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

export interface RunningJobInfo {
  jobId: number;
  actor: string;
  startedAt: Date;
}

export class SyncError extends Error {
  override name = 'SyncError';
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly details?: { issues?: { path: string; message: string }[]; running?: RunningJobInfo },
  ) {
    super(message);
  }
}

export const validationError = (message: string, issues?: { path: string; message: string }[]) =>
  new SyncError('VALIDATION', message, { issues });

export function isSyncError(err: unknown, code?: SyncErrorCode): err is SyncError {
  return err instanceof SyncError && (code === undefined || err.code === code);
}

/**
 * The one sentence for "a sync job holds the single running slot", shown by the dashboard, the
 * CLI and the scheduler's skipped runs. `startedAt` is formatted by the caller's surface.
 */
export function alreadyRunningMessage(running: { jobId: number; actor: string } | undefined, startedAt?: string): string {
  if (!running) return 'A sync job is already running (it has just finished; try again).';
  return `A sync job is already running: job #${running.jobId}, started by ${running.actor}${startedAt ? ` at ${startedAt}` : ''}.`;
}
