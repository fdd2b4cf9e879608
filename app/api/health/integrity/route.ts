import { jsonResponse, withApiKey } from '@/lib/http/route';
import { getIntegrityReport } from '@/lib/monitoring/integrity';

/**
 * The latest health check's figures, the sync job's health and one `healthy` verdict, for
 * monitoring systems (Authorization: Bearer <MONITOR_TOKEN>) and signed-in staff.
 * Always 200 when authorized: `healthy` carries the verdict, so a scraper can read why.
 */

export const dynamic = 'force-dynamic';

export const GET = withApiKey('monitor', async ({ db }) => jsonResponse(await getIntegrityReport(db)));
