'use server';

import { revalidatePath } from 'next/cache';
import { toHealthDto } from '@/lib/data/dto';
import { runFullAudit, writeAuditEvent } from '@/lib/sync';
import { noInputSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/** "Run full audit" on the dashboard (ADMIN): the pass over every pair that checks the maintained set. */
export const runFullAuditAction = defineAction(
  { role: 'ADMIN', attempted: 'FULL_AUDIT', input: noInputSchema, failure: 'run the full audit' },
  async (_input, { db, actor }) => {
    const health = await runFullAudit(db, { source: 'ADMIN' });
    const desyncs = health.totalPairs - health.consistentPairs;
    await writeAuditEvent(db, {
      actor,
      action: 'FULL_AUDIT',
      after: { healthCheckId: health.id, consistencyRate: health.consistencyRate, desyncs, drift: health.drift },
    });
    revalidatePath('/', 'layout');
    return { health: toHealthDto(health) };
  },
);
