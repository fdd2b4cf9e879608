'use server';

import { revalidatePath } from 'next/cache';
import { toJobDto } from '@/lib/data/dto';
import { env } from '@/lib/env';
import { shutdownSignal } from '@/lib/shutdown';
import { startSyncJob } from '@/lib/sync';
import { startSyncJobSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Confirm sync" (ADMIN): claims the single running slot and returns the RUNNING job at once;
 * the engine repairs in the background and the dashboard polls its progress. The job takes the
 * process's shutdown signal: when the server stops, it ends FAILED between batches and frees the
 * slot rather than holding it until its heartbeat times out.
 */
export const startSyncJobAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_JOB_STARTED', input: startSyncJobSchema.optional(), failure: 'start the sync job' },
  async (input, { db, actor }) => {
    const heartbeatTimeoutMs = env().JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000;
    const job = await startSyncJob(db, {
      trigger: 'MANUAL',
      actor,
      reason: input?.reason ?? null,
      signal: shutdownSignal(),
      heartbeatTimeoutMs,
    });
    revalidatePath('/', 'layout');
    return { job: toJobDto(job) };
  },
);
