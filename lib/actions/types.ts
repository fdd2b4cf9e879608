import type { SyncErrorCode } from '@/lib/sync/errors';

/** What every server action returns: a typed success, or a readable error. */
export interface ActionError {
  code: SyncErrorCode | 'INTERNAL';
  message: string;
  /** On ALREADY_RUNNING: the job that holds the slot. */
  running?: { jobId: number; actor: string; startedAt: string };
}

export type ActionFailure = { ok: false; error: ActionError };
export type ActionResult<T extends object = object> = ({ ok: true } & T) | ActionFailure;
