export const dynamic = 'force-dynamic';

/**
 * A trivial route: no session, no database. The benchmark compares the dashboard's data route
 * with it to separate the framework's own cost per request from SyncWatch's.
 */
export function GET() {
  return Response.json({ ok: true }, { headers: { 'Cache-Control': 'no-store' } });
}
