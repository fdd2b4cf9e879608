'use server';

import { revalidatePath } from 'next/cache';
import { readHealth, syncPair } from '@/lib/sync';
import { pairSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * A desync row's "Sync" button (ADMIN): repairs that pair alone (the judge updates the set at its
 * commit) and answers with the consistency rate after it.
 */
export const syncPairAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_PAIR', input: pairSchema, failure: 'sync the pair' },
  async ({ userId, specializationId }, { db, actor }) => {
    const result = await syncPair(db, userId, specializationId, actor);
    const health = await readHealth(db);
    revalidatePath('/', 'layout');
    return { ...result, consistencyRate: health.consistencyRate };
  },
);
