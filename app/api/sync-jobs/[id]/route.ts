import { z } from 'zod';
import { toJobDto } from '@/lib/data/dto';
import { errorResponse, jsonResponse, withStaff } from '@/lib/http/route';
import { getSyncJob } from '@/lib/sync';

export const dynamic = 'force-dynamic';

const idSchema = z.coerce.number().int().positive().max(2_147_483_647);

/** One sync job's summary (VIEWER+): the dashboard reads it to announce a job's outcome. */
export const GET = withStaff<{ id: string }>('VIEWER', 'VIEW_SYNC_JOB', async ({ params, db }) => {
  const id = idSchema.safeParse(params.id);
  if (!id.success) return errorResponse('VALIDATION', 'A job id is a positive whole number.');
  const job = await getSyncJob(db, id.data);
  if (!job) return errorResponse('NOT_FOUND', `Sync job ${id.data} does not exist.`);
  return jsonResponse({ job: toJobDto(job) });
});
