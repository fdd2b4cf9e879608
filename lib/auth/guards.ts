import 'server-only';
import { redirect } from 'next/navigation';
import { isSyncError } from '@/lib/sync/errors';
import type { AttemptedAction } from '@/lib/vocabulary';
import { requireRole, type Staff, type StaffRole } from './session';

/** For pages: the staff member, or a redirect to /login (a refusal is audited by requireRole). */
export async function requireStaffPage(action: AttemptedAction, minimum: StaffRole = 'VIEWER'): Promise<Staff> {
  let staff: Staff | null = null;
  try {
    staff = await requireRole(minimum, { action });
  } catch (err) {
    if (!isSyncError(err, 'FORBIDDEN')) throw err;
  }
  // redirect() throws, so it stays outside the try.
  if (!staff) redirect('/login');
  return staff;
}
