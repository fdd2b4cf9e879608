'use server';

import { previewSync } from '@/lib/sync';
import { noInputSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/** How many planned repairs the "Sync preview" dialog lists. */
const PREVIEW_ROWS = 20;

/** The dry run behind "Sync now" (ADMIN): what a job would do, writing nothing. */
export const previewSyncAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_PREVIEW', input: noInputSchema, failure: 'prepare the sync preview' },
  async (_input, { db }) => ({ preview: await previewSync(db, { limit: PREVIEW_ROWS }) }),
);
