'use server';

import { revalidatePath } from 'next/cache';
import { recordProgress } from '@/lib/sync';
import { plainObject, recordProgressSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Record progress" on a learner's page (ADMIN): adds XP and sessions, the level and the license
 * follow in the same write. `expectedVersion` is the progress version the page showed: a stale
 * one gives CONFLICT and writes nothing. The engine audits it (RECORD_PROGRESS).
 */
export const recordProgressAction = defineAction(
  { role: 'ADMIN', attempted: 'RECORD_PROGRESS', input: plainObject(recordProgressSchema), failure: 'record the progress' },
  async ({ userId, specializationId, xpGained, sessionsCompleted, expectedVersion }, { db, actor }) => {
    const pair = await recordProgress(db, userId, specializationId, { xpGained, sessionsCompleted, expectedVersion }, actor);
    revalidatePath('/', 'layout');
    return { after: { progressLevel: pair.progress?.level ?? null, licenseLevel: pair.license?.level ?? null } };
  },
);
