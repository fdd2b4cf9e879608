'use server';

import { revalidatePath } from 'next/cache';
import { runHealthCheck, syncPair } from '@/lib/sync';
import { pairSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * A desync row's "Sync" button (ADMIN): repairs that pair alone, then runs a health check so the
 * list and the consistency rate reflect the repair at once.
 */
export const syncPairAction = defineAction(
  { role: 'ADMIN', attempted: 'SYNC_PAIR', input: pairSchema, failure: 'sync the pair' },
  async ({ userId, specializationId }, { db, actor }) => {
    const result = await syncPair(db, userId, specializationId, actor);
    const health = await runHealthCheck(db, { source: 'ADMIN' });
    revalidatePath('/', 'layout');
    return { ...result, consistencyRate: health.consistencyRate };
  },
);
