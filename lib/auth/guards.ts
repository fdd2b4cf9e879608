import 'server-only';
import { redirect } from 'next/navigation';
import { isSyncError } from '@/lib/sync/errors';
import { requireRole, type Staff, type StaffRole } from './session';

/** For pages: the staff member, or a redirect to /login (a refusal is audited by requireRole). */
export async function requireStaffPage(action: string, minimum: StaffRole = 'VIEWER'): Promise<Staff> {
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

/** For route handlers: the staff member, or a JSON 403 response to return as is. */
export async function requireStaffRoute(
  action: string,
  minimum: StaffRole = 'VIEWER',
): Promise<{ staff: Staff; denied?: undefined } | { staff?: undefined; denied: Response }> {
  try {
    return { staff: await requireRole(minimum, { action }) };
  } catch (err) {
    if (!isSyncError(err, 'FORBIDDEN')) {
      // The role could not be read (the database is down): not the client's fault, and no 500.
      console.error(`[auth] could not authorize ${action}`, err);
      return {
        denied: Response.json(
          { error: { code: 'UNAVAILABLE', message: 'SyncWatch cannot reach its database right now. Try again in a moment.' } },
          { status: 503, headers: { 'Cache-Control': 'no-store', 'Retry-After': '5' } },
        ),
      };
    }
    return {
      denied: Response.json(
        { error: { code: 'FORBIDDEN', message: err.message } },
        { status: 403, headers: { 'Cache-Control': 'no-store' } },
      ),
    };
  }
}
