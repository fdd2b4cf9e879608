import { getDashboardData } from '@/lib/data/dashboard';
import { jsonResponse, withStaff } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** The dashboard's figures for auto-refresh (VIEWER+), from maintained counters and stored rows only. */
export const GET = withStaff('VIEWER', 'VIEW_DASHBOARD', async () => jsonResponse(await getDashboardData()));
