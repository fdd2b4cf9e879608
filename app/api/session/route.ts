import { jsonResponse, withStaff } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * The signed-in staff member (VIEWER+): `{ id, email, role }`, the role as the database has it
 * now, never cached. Only what authorization itself reads (the session, then the account), so the
 * benchmark uses it as the auth-only route beside the dashboard's data routes.
 */
export const GET = withStaff('VIEWER', 'VIEW_ACCOUNT', async ({ staff }) =>
  jsonResponse({ id: staff.id, email: staff.email, role: staff.role }),
);
