'use server';

import { revalidatePath } from 'next/cache';
import { advanceLicense } from '@/lib/sync';
import { advanceLicenseSchema, plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Advance license" on a learner's page (ADMIN): the license moves up and the progress follows.
 * `expectedVersion` is the license version the page showed: a stale one gives CONFLICT and writes
 * nothing. The engine refuses a level below what the progress earns, and audits the change.
 */
export const advanceLicenseAction = defineAction(
  { role: 'ADMIN', attempted: 'ADVANCE_LICENSE', input: plainObject(advanceLicenseSchema), failure: 'advance the license' },
  async ({ userId, specializationId, targetLevel, reason, expectedVersion }, { db, actor }) => {
    const pair = await advanceLicense(db, userId, specializationId, targetLevel, actor, reason, { expectedVersion });
    revalidatePath('/', 'layout');
    return { after: { progressLevel: pair.progress?.level ?? null, licenseLevel: pair.license?.level ?? null } };
  },
);
