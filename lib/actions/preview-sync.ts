'use server';

import { previewSync } from '@/lib/sync';
import { previewSyncSchema } from '@/lib/sync/scope';
import { defineAction } from './define-action';

/** How many planned repairs the "Sync preview" dialog lists. */
const PREVIEW_ROWS = 20;

/** The dry run behind "Sync now" and "Sync these N" (ADMIN): what a job would do, writing nothing. */
export const previewSyncAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_PREVIEW', input: previewSyncSchema, failure: 'prepare the sync preview' },
  async (input, { db }) => ({ preview: await previewSync(db, { limit: PREVIEW_ROWS, scope: input?.scope ?? null }) }),
);
