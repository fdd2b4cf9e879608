import { authorizeMonitor, unauthorizedResponse } from '@/lib/auth/monitor-auth';
import { renderMetrics } from '@/lib/monitoring/metrics';

/** Prometheus text exposition; same authentication as /api/health/integrity. */

export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const access = await authorizeMonitor(request);
  if (!access.ok) return unauthorizedResponse();
  try {
    const { body, contentType } = await renderMetrics();
    return new Response(body, { headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store' } });
  } catch (err) {
    console.error('[api/metrics] failed', err);
    return new Response('# metrics unavailable: the database did not answer\n', {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}
