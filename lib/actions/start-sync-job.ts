'use server';

import { revalidatePath } from 'next/cache';
import { toJobDto } from '@/lib/data/dto';
import { startSyncJob } from '@/lib/sync';
import { startSyncJobSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Confirm sync" (ADMIN): claims the single running slot and returns the RUNNING job at once;
 * the engine repairs in the background and the dashboard polls its progress.
 */
export const startSyncJobAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_JOB_STARTED', input: startSyncJobSchema.optional(), failure: 'start the sync job' },
  async (input, { db, actor }) => {
    const job = await startSyncJob(db, { trigger: 'MANUAL', actor, reason: input?.reason ?? null });
    revalidatePath('/', 'layout');
    return { job: toJobDto(job) };
  },
);
