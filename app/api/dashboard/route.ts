import { requireStaffRoute } from '@/lib/auth/guards';
import { getDashboardData } from '@/lib/data/dashboard';

export const dynamic = 'force-dynamic';

/** The dashboard's figures for auto-refresh (VIEWER+), from stored snapshots only. */
export async function GET() {
  const { denied } = await requireStaffRoute('VIEW_DASHBOARD');
  if (denied) return denied;
  try {
    return Response.json(await getDashboardData(), { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    console.error('[api/dashboard] failed', err);
    return Response.json(
      { error: { code: 'UNAVAILABLE', message: 'The dashboard data could not be loaded.' } },
      { status: 503, headers: { 'Cache-Control': 'no-store' } },
    );
  }
}
