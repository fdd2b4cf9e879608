import { errorResponse, jsonResponse, withStaff } from '@/lib/http/route';
import { readJobHistory } from '@/lib/sync';
import { DEFAULT_TREND_RANGE, parseTrendInput } from '@/lib/sync/trend';

export const dynamic = 'force-dynamic';

/**
 * The finished sync jobs that started in ?range=24h|7d|30d|90d (default 24h), for the job history
 * chart on /jobs (VIEWER+): duration and repairs per job, newest 500. Any other range is a 400
 * VALIDATION answer.
 */
export const GET = withStaff('VIEWER', 'VIEW_SYNC_JOBS', async ({ request, db }) => {
  const ranges = new URL(request.url).searchParams.getAll('range');
  if (ranges.length > 1) return errorResponse('VALIDATION', 'Give one range: 24h, 7d, 30d or 90d.');
  return jsonResponse(await readJobHistory(db, parseTrendInput({ range: ranges[0] ?? DEFAULT_TREND_RANGE })));
});
