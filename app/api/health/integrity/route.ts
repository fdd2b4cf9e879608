import { authorizeMonitor, unauthorizedResponse } from '@/lib/auth/monitor-auth';
import { getIntegrityReport } from '@/lib/monitoring/integrity';

/**
 * The latest health check's figures, the sync job's health and one `healthy` verdict, for
 * monitoring systems (Authorization: Bearer <MONITOR_TOKEN>) and signed-in staff.
 * Always 200 when authorized: `healthy` carries the verdict, so a scraper can read why.
 */

export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const access = await authorizeMonitor(request);
  if (!access.ok) return unauthorizedResponse();
  try {
    const report = await getIntegrityReport();
    return Response.json(report, { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    console.error('[api/health/integrity] failed', err);
    return Response.json({ error: 'The integrity report is unavailable: the database did not answer.' }, { status: 503 });
  }
}
