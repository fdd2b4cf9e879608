'use server';

import { requireRole } from '@/lib/auth/session';
import { previewSync } from '@/lib/sync';
import type { SyncPreview } from '@/lib/sync/types';
import { invalidInput, noInput, toActionFailure } from './result';
import type { ActionResult } from './types';

/** How many planned repairs the "Sync preview" dialog lists. */
const PREVIEW_ROWS = 20;

/** The dry run behind "Sync now" (ADMIN): what a job would do, writing nothing. */
export async function previewSyncAction(input?: unknown): Promise<ActionResult<{ preview: SyncPreview }>> {
  try {
    await requireRole('ADMIN', { action: 'SYNC_PREVIEW' });
    const parsed = noInput.safeParse(input);
    if (!parsed.success) return invalidInput(parsed.error);
    return { ok: true, preview: await previewSync({ limit: PREVIEW_ROWS }) };
  } catch (err) {
    return toActionFailure(err, 'prepare the sync preview');
  }
}
