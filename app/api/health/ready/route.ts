import { getDb } from '@/lib/db/server';
import { readiness } from '@/lib/db/readiness';

/**
 * Readiness: the database answers and every migration this build ships is applied; 503 otherwise,
 * so an orchestrator sends no traffic to an instance that cannot serve it. No authentication, no figures.
 */

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  const r = await readiness(getDb());
  const body = { status: r.ready ? 'ready' : 'unavailable', database: r.database, pendingMigrations: r.pendingMigrations };
  return Response.json(body, { status: r.ready ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}
