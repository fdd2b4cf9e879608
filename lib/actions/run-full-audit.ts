'use server';

import { revalidatePath } from 'next/cache';
import { toHealthDto } from '@/lib/data/dto';
import { runHealthCheck, writeAuditEvent } from '@/lib/sync';
import { noInputSchema } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/** "Run health check" on the dashboard (ADMIN). */
export const runHealthCheckAction = defineAction(
  { role: 'ADMIN', attempted: 'HEALTH_CHECK', input: noInputSchema, failure: 'run the health check' },
  async (_input, { db, actor }) => {
    const health = await runHealthCheck(db, { source: 'ADMIN' });
    const desyncs = health.totalPairs - health.consistentPairs;
    await writeAuditEvent(db, {
      actor,
      action: 'HEALTH_CHECK',
      after: { healthCheckId: health.id, consistencyRate: health.consistencyRate, desyncs },
    });
    revalidatePath('/', 'layout');
    return { health: toHealthDto(health) };
  },
);
