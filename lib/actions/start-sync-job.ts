'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { requireRole, staffActor } from '@/lib/auth/session';
import { toJobDto, type JobDto } from '@/lib/data/dto';
import { startSyncJob } from '@/lib/sync';
import { plainObject } from '@/lib/sync/validation';
import { invalidInput, toActionFailure } from './result';
import type { ActionResult } from './types';

const inputSchema = plainObject(z.strictObject({
  reason: z
    .string()
    .trim()
    .max(500, 'The reason can be at most 500 characters.')
    .refine((r) => !r.includes('\u0000'), 'The reason cannot contain NUL characters.')
    .transform((r) => r || null)
    .nullish(),
}));

/**
 * "Confirm sync" (ADMIN): claims the single running slot and returns the RUNNING job at once;
 * the engine repairs in the background and the dashboard polls its progress.
 */
export async function startSyncJobAction(input: unknown): Promise<ActionResult<{ job: JobDto }>> {
  try {
    const staff = await requireRole('ADMIN', { action: 'SYNC_JOB_STARTED' });
    const parsed = inputSchema.safeParse(input ?? {});
    if (!parsed.success) return invalidInput(parsed.error);
    const job = await startSyncJob({ trigger: 'MANUAL', actor: staffActor(staff), reason: parsed.data.reason ?? null });
    revalidatePath('/', 'layout');
    return { ok: true, job: toJobDto(job) };
  } catch (err) {
    return toActionFailure(err, 'start the sync job');
  }
}
