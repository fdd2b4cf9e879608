'use server';

import { revalidatePath } from 'next/cache';
import { enroll } from '@/lib/sync';
import { pairSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Enroll" on a learner's page (ADMIN): progress and license at level 1 in one transaction; the
 * engine audits it (ENROLL) and answers CONFLICT when the learner already has either row.
 */
export const enrollAction = defineAction(
  { role: 'ADMIN', attempted: 'ENROLL', input: pairSchema, failure: 'enroll the learner' },
  async ({ userId, specializationId }, { db, actor }) => {
    const pair = await enroll(db, userId, specializationId, actor);
    revalidatePath('/', 'layout');
    return { after: { progressLevel: pair.progress?.level ?? null, licenseLevel: pair.license?.level ?? null } };
  },
);
