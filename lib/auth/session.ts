import 'server-only';
import { cache } from 'react';
import { getServerSession } from 'next-auth';
import { z } from 'zod';
import { getDb } from '@/lib/db/server';
import { log } from '@/lib/log';
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
 * power at once, whatever its token says. So does a session issued before the account's password
 * was reset or changed: the token's session version is no longer the account's.
 */

export type { Staff, StaffRole } from './roles';

const authLog = log.child({ component: 'auth' });

/**
 * What authorization takes from a (signed, unexpired) session: the account id, the email and the
 * session version recorded at sign-in. A token without a version was issued before versions
 * existed, when every account had version 1; any reset since has bumped the account past it.
 */
const sessionSchema = z.object({
  user: z.object({ id: z.coerce.number().int().positive(), email: z.string().min(1) }),
  sessionVersion: z.number().int().min(1).default(1),
});

async function readSession(): Promise<{ id: number; email: string; sessionVersion: number } | null> {
  const parsed = sessionSchema.safeParse(await getServerSession(authOptions));
  if (!parsed.success) return null;
  return { id: parsed.data.user.id, email: parsed.data.user.email, sessionVersion: parsed.data.sessionVersion };
}

async function readCurrentStaff(): Promise<Staff | null> {
  const session = await readSession();
  if (!session) return null;
  const user = await getDb().user.findUnique({
    where: { id: session.id },
    select: { id: true, email: true, role: true, disabledAt: true, sessionVersion: true },
  });
  // The id must still belong to the account that signed in (not a recreated one), still staff,
  // not disabled, and the session must not predate a password reset or change.
  if (!user || user.email !== session.email || !isStaffRole(user.role) || user.disabledAt) return null;
  if (user.sessionVersion !== session.sessionVersion) return null;
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
    authLog.error({ err }, 'could not record ACCESS_DENIED');
  }
  throw new SyncError('FORBIDDEN', staff ? `This requires the ${minimum} role.` : 'You are signed out. Sign in again to continue.');
}

/** A staff member as the engine's Actor. */
export function staffActor(staff: Staff): Actor {
  return { label: staff.email, userId: staff.id, source: 'ADMIN' };
}
