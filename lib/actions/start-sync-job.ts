'use server';

import { revalidatePath } from 'next/cache';
import { toJobDto } from '@/lib/data/dto';
import { env } from '@/lib/env';
import { shutdownSignal } from '@/lib/shutdown';
import { startSyncJob } from '@/lib/sync';
import { startSyncJobSchema } from '@/lib/sync/scope';
import { defineAction } from './define-action';

/**
 * "Confirm sync" (ADMIN): claims the single running slot and returns the RUNNING job at once;
 * the engine repairs in the background and the dashboard follows its progress. With a scope
 * ("Sync these N", "Sync selected" on /desyncs) the job repairs only those desyncs. The job takes
 * the process's shutdown signal: when the server stops, it ends FAILED between batches and frees
 * the slot rather than holding it until its heartbeat times out.
 */
export const startSyncJobAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_JOB_STARTED', input: startSyncJobSchema.optional(), failure: 'start the sync job' },
  async (input, { db, actor }) => {
    const job = await startSyncJob(db, {
      trigger: 'MANUAL',
      actor,
      reason: input?.reason ?? null,
      scope: input?.scope ?? null,
      signal: shutdownSignal(),
      heartbeatTimeoutMs: env().JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    });
    revalidatePath('/', 'layout');
    return { job: toJobDto(job) };
  },
);
