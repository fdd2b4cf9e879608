import 'server-only';
import { cache } from 'react';
import { getServerSession } from 'next-auth';
import { getDb } from '@/lib/db/server';
import { writeAuditEvent } from '@/lib/sync';
import { SyncError } from '@/lib/sync/errors';
import type { Actor } from '@/lib/sync/types';
import type { AttemptedAction } from '@/lib/vocabulary';
import { authOptions } from './options';
import { isStaffRole, roleAtLeast, type Staff, type StaffRole } from './roles';

/**
 * The one authorization helper. Every page, server action and route handler calls it; the proxy
 * only redirects signed-out visitors. The session token says who someone is; what they may do
 * is read from the database on each request, so a demoted, disabled or deleted account loses its
 * power at once, whatever its token says.
 */

export type { Staff, StaffRole } from './roles';

async function readSession(): Promise<{ id: number; email: string } | null> {
  const session = await getServerSession(authOptions);
  const id = Number(session?.user?.id);
  const email = session?.user?.email;
  if (!Number.isSafeInteger(id) || id <= 0 || !email) return null;
  return { id, email };
}

async function readCurrentStaff(): Promise<Staff | null> {
  const session = await readSession();
  if (!session) return null;
  const user = await getDb().user.findUnique({
    where: { id: session.id },
    select: { id: true, email: true, role: true, disabledAt: true },
  });
  // The id must still belong to the account that signed in (not a recreated one), still staff and not disabled.
  if (!user || user.email !== session.email || !isStaffRole(user.role) || user.disabledAt) return null;
  return { id: user.id, email: user.email, role: user.role };
}

/** The signed-in staff member with their current role, or null (signed out, STUDENT, deleted). */
export const getCurrentStaff = cache(readCurrentStaff);

/**
 * Returns the signed-in staff member if their current role is at least `minimum`; otherwise
 * writes an ACCESS_DENIED audit event and throws SyncError('FORBIDDEN').
 * `context.action` names what was attempted (e.g. "SYNC_PAIR"), for the audit log. `fresh`
 * re-reads even when this request already did: a long-lived request (the event stream,
 * lib/events/stream.ts) re-authorizes while it runs, past the per-request cache.
 */
export async function requireRole(minimum: StaffRole, context: { action: AttemptedAction; fresh?: boolean }): Promise<Staff> {
  const staff = await (context.fresh ? readCurrentStaff() : getCurrentStaff());
  if (staff && roleAtLeast(staff.role, minimum)) return staff;

  const session = staff ? null : await readSession().catch(() => null);
  try {
    await writeAuditEvent(getDb(), {
      actor: { label: staff?.email ?? session?.email ?? 'anonymous', userId: staff?.id ?? null, source: 'ADMIN' },
      action: 'ACCESS_DENIED',
      after: { attempted: context.action, required: minimum, role: staff?.role ?? null },
      reason: staff ? `${context.action} requires the ${minimum} role` : `${context.action} requires signing in`,
    });
  } catch (err) {
    // The refusal stands even when it cannot be recorded.
    console.error('[auth] could not record ACCESS_DENIED', err);
  }
  throw new SyncError('FORBIDDEN', staff ? `This requires the ${minimum} role.` : 'You are signed out. Sign in again to continue.');
}

/** A staff member as the engine's Actor. */
export function staffActor(staff: Staff): Actor {
  return { label: staff.email, userId: staff.id, source: 'ADMIN' };
}
