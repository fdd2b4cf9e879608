'use server';

import { revalidatePath } from 'next/cache';
import { demoteLicense } from '@/lib/sync';
import { demoteLicenseSchema, plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Demote" on a learner's page (ADMIN): license and progress move down together, with a required
 * reason. `expectedVersion` is the license version the page showed: a stale one gives CONFLICT
 * and writes nothing. The engine audits the change (DEMOTE_LICENSE), with the XP it removed.
 */
export const demoteLicenseAction = defineAction(
  { role: 'ADMIN', attempted: 'DEMOTE_LICENSE', input: plainObject(demoteLicenseSchema), failure: 'demote the license' },
  async ({ userId, specializationId, targetLevel, reason, expectedVersion }, { db, actor }) => {
    const pair = await demoteLicense(db, userId, specializationId, targetLevel, actor, reason, { expectedVersion });
    revalidatePath('/', 'layout');
    return { after: { progressLevel: pair.progress?.level ?? null, licenseLevel: pair.license?.level ?? null } };
  },
);
