import { getDb } from '@/lib/db/server';
import { databaseAnswers } from '@/lib/db/readiness';

/**
 * The health check load balancers have used so far: no authentication, no figures; 200 when
 * PostgreSQL answers within a few seconds, 503 otherwise. Orchestrators have /api/health/live and
 * /api/health/ready.
 */

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  const headers = { 'Cache-Control': 'no-store' };
  if (await databaseAnswers(getDb())) return Response.json({ status: 'ok', database: 'up' }, { headers });
  return Response.json({ status: 'unavailable', database: 'down' }, { status: 503, headers });
}
