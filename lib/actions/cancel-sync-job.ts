'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { toJobDto } from '@/lib/data/dto';
import { cancelSyncJob } from '@/lib/sync';
import { jobIdSchema, plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Cancel job" (ADMIN), on the dashboard's progress bar and the job's page: the job ends
 * CANCELLED at once, whichever instance runs it; the batch in flight rolls back, the batches it
 * committed stay, and the slot is free.
 */
export const cancelSyncJobAction = defineAction(
  {
    role: 'ADMIN',
    attempted: 'SYNC_JOB_CANCELLED',
    input: plainObject(z.strictObject({ jobId: jobIdSchema })),
    failure: 'cancel the sync job',
  },
  async ({ jobId }, { db, actor }) => {
    const job = await cancelSyncJob(db, jobId, actor);
    revalidatePath('/', 'layout');
    return { job: toJobDto(job) };
  },
);
