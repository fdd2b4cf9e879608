import { z } from 'zod';
import { requireStaffRoute } from '@/lib/auth/guards';
import { toJobDto } from '@/lib/data/dto';
import { getSyncJob } from '@/lib/sync';

export const dynamic = 'force-dynamic';

const idSchema = z.coerce.number().int().positive().max(2_147_483_647);

/** One sync job's summary (VIEWER+): the dashboard reads it to announce a job's outcome. */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { denied } = await requireStaffRoute('VIEW_SYNC_JOB');
  if (denied) return denied;
  const id = idSchema.safeParse((await params).id);
  const headers = { 'Cache-Control': 'no-store' };
  if (!id.success) return Response.json({ error: { code: 'VALIDATION', message: 'A job id is a positive whole number.' } }, { status: 400, headers });
  try {
    const job = await getSyncJob(id.data);
    if (!job) return Response.json({ error: { code: 'NOT_FOUND', message: `Sync job ${id.data} does not exist.` } }, { status: 404, headers });
    return Response.json({ job: toJobDto(job) }, { headers });
  } catch (err) {
    console.error('[api/sync-jobs/:id] failed', err);
    return Response.json({ error: { code: 'UNAVAILABLE', message: 'The sync job could not be read.' } }, { status: 503, headers });
  }
}
