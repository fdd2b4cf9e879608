import { requireStaffRoute } from '@/lib/auth/guards';
import { toJobDto } from '@/lib/data/dto';
import { getRunningJob } from '@/lib/sync';

export const dynamic = 'force-dynamic';

/** The running sync job, if any (VIEWER+): polled each second for the dashboard's progress bar. */
export async function GET() {
  const { denied } = await requireStaffRoute('VIEW_DASHBOARD');
  if (denied) return denied;
  try {
    const job = await getRunningJob();
    return Response.json({ job: job ? toJobDto(job) : null }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    console.error('[api/sync-jobs/running] failed', err);
    return Response.json(
      { error: { code: 'UNAVAILABLE', message: 'The running job could not be read.' } },
      { status: 503, headers: { 'Cache-Control': 'no-store' } },
    );
  }
}
