'use server';

import { revalidatePath } from 'next/cache';
import { requireRole, staffActor } from '@/lib/auth/session';
import { toHealthDto, type HealthDto } from '@/lib/data/dto';
import { runHealthCheck, writeAuditEvent } from '@/lib/sync';
import { invalidInput, noInput, toActionFailure } from './result';
import type { ActionResult } from './types';

/** "Run health check" on the dashboard (ADMIN). */
export async function runHealthCheckAction(input?: unknown): Promise<ActionResult<{ health: HealthDto }>> {
  try {
    const staff = await requireRole('ADMIN', { action: 'HEALTH_CHECK' });
    const parsed = noInput.safeParse(input);
    if (!parsed.success) return invalidInput(parsed.error);
    const health = await runHealthCheck({ source: 'ADMIN' });
    await writeAuditEvent({
      actor: staffActor(staff),
      action: 'HEALTH_CHECK',
      after: { healthCheckId: health.id, consistencyRate: health.consistencyRate, desyncs: health.totalPairs - health.consistentPairs },
    });
    revalidatePath('/', 'layout');
    return { ok: true, health: toHealthDto(health) };
  } catch (err) {
    return toActionFailure(err, 'run the health check');
  }
}
