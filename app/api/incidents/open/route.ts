import { listOpenIncidents } from '@/lib/alerts';
import { toOpenIncidentDto } from '@/lib/data/alerts';
import { jsonResponse, withStaff } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** The open incidents (VIEWER+): the dashboard's "Open incidents" card. */
export const GET = withStaff('VIEWER', 'VIEW_INCIDENTS', async ({ db }) => {
  const incidents = await listOpenIncidents(db);
  return jsonResponse({ incidents: incidents.map(toOpenIncidentDto) });
});
