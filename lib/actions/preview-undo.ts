'use server';

import { z } from 'zod';
import { previewUndo } from '@/lib/sync';
import { jobIdSchema, plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/** How many decisions the "Undo preview" dialog lists. */
const PREVIEW_ROWS = 20;

/** The undo's dry run (ADMIN): what an undo would put back and what it would leave as a conflict, writing nothing. */
export const previewUndoAction = defineAction(
  {
    role: 'ADMIN',
    attempted: 'UNDO_PREVIEW',
    input: plainObject(z.strictObject({ jobId: jobIdSchema })),
    failure: 'prepare the undo preview',
  },
  async ({ jobId }, { db }) => ({ preview: await previewUndo(db, jobId, { limit: PREVIEW_ROWS }) }),
);
