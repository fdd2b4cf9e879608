import { withApiKey } from '@/lib/http/route';
import { renderMetrics } from '@/lib/monitoring/metrics';

/** Prometheus text exposition; same authentication as /api/health/integrity. */

export const dynamic = 'force-dynamic';

export const GET = withApiKey('monitor', async ({ db }) => {
  const { body, contentType } = await renderMetrics(db);
  return new Response(body, { headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store' } });
});
