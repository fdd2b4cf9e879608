'use server';

import { revalidatePath } from 'next/cache';
import { toJobDto } from '@/lib/data/dto';
import { env } from '@/lib/env';
import { shutdownSignal } from '@/lib/shutdown';
import { startUndoJob, undoJobSchema } from '@/lib/sync';
import { plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Confirm undo" (ADMIN, a reason required): starts an UNDO job that puts back what the job
 * changed where the pair is still as the job left it; returns the RUNNING undo job at once.
 */
export const undoSyncJobAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_JOB_UNDO', input: plainObject(undoJobSchema), failure: 'start the undo' },
  async ({ jobId, reason }, { db, actor }) => {
    const job = await startUndoJob(db, {
      jobId,
      actor,
      reason,
      signal: shutdownSignal(),
      heartbeatTimeoutMs: env().JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    });
    revalidatePath('/', 'layout');
    return { job: toJobDto(job) };
  },
);
