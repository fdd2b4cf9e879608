import { getTrend } from '@/lib/data/trend';
import { errorResponse, jsonResponse, withStaff } from '@/lib/http/route';
import { DEFAULT_TREND_RANGE } from '@/lib/sync/trend';

export const dynamic = 'force-dynamic';

/**
 * The consistency trend over ?range=24h|7d|30d|90d (default 24h) for the dashboard's chart
 * (VIEWER+): min, max and last rate per bucket, bucketed in SQL, and the sync jobs as markers.
 * Any other range is a 400 VALIDATION answer.
 */
export const GET = withStaff('VIEWER', 'VIEW_DASHBOARD', async ({ request, db }) => {
  const ranges = new URL(request.url).searchParams.getAll('range');
  if (ranges.length > 1) return errorResponse('VALIDATION', 'Give one range: 24h, 7d, 30d or 90d.');
  return jsonResponse(await getTrend(db, { range: ranges[0] ?? DEFAULT_TREND_RANGE }));
});
