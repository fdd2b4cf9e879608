'use server';

import { revalidatePath } from 'next/cache';
import { requireRole } from '@/lib/auth/session';
import { toHealthDto, type HealthDto } from '@/lib/data/dto';
import { runHealthCheck } from '@/lib/sync';
import { toActionFailure } from './result';
import type { ActionResult } from './types';

/** "Run health check" on the dashboard (ADMIN). */
export async function runHealthCheckAction(): Promise<ActionResult<{ health: HealthDto }>> {
  try {
    await requireRole('ADMIN', { action: 'HEALTH_CHECK' });
    const health = await runHealthCheck({ source: 'ADMIN' });
    revalidatePath('/', 'layout');
    return { ok: true, health: toHealthDto(health) };
  } catch (err) {
    return toActionFailure(err, 'run the health check');
  }
}
