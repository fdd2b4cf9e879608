/**
 * Liveness: the process answers. No database, no authentication: an orchestrator restarts an
 * instance whose event loop no longer answers, not one whose database is down (see /ready).
 */

export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'Cache-Control': 'no-store' } });
}
