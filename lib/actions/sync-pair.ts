'use server';

import { revalidatePath } from 'next/cache';
import { requireRole, staffActor } from '@/lib/auth/session';
import { runHealthCheck, syncPair } from '@/lib/sync';
import { pairSchema } from '@/lib/sync/validation';
import type { DesyncKind, PairSnapshot } from '@/lib/sync/types';
import { invalidInput, toActionFailure } from './result';
import type { ActionResult } from './types';

// The engine's own pair schema: strict (extra fields are refused), the specialization an enum.
const inputSchema = pairSchema;

/**
 * A desync row's "Sync" button (ADMIN): repairs that pair alone, then runs a health check so the
 * list and the consistency rate reflect the repair at once.
 */
export async function syncPairAction(input: unknown): Promise<
  ActionResult<{
    outcome: 'SYNCED' | 'NOOP' | 'REPORTED';
    kind: DesyncKind | null;
    before: PairSnapshot;
    after: PairSnapshot;
    consistencyRate: number;
  }>
> {
  try {
    const staff = await requireRole('ADMIN', { action: 'SYNC_PAIR' });
    const parsed = inputSchema.safeParse(input);
    if (!parsed.success) return invalidInput(parsed.error);
    const { userId, specializationId } = parsed.data;
    const result = await syncPair(userId, specializationId, staffActor(staff));
    const health = await runHealthCheck({ source: 'ADMIN' });
    revalidatePath('/', 'layout');
    return { ok: true, ...result, consistencyRate: health.consistencyRate };
  } catch (err) {
    return toActionFailure(err, 'sync the pair');
  }
}
