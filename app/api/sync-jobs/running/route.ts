import { toJobDto } from '@/lib/data/dto';
import { jsonResponse, withStaff } from '@/lib/http/route';
import { getRunningJob } from '@/lib/sync';

export const dynamic = 'force-dynamic';

/** The running sync job, if any (VIEWER+): polled each second for the dashboard's progress bar. */
export const GET = withStaff('VIEWER', 'VIEW_DASHBOARD', async ({ db }) => {
  const job = await getRunningJob(db);
  return jsonResponse({ job: job ? toJobDto(job) : null });
});
