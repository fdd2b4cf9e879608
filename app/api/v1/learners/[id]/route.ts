import { toLearnerDto } from '@/lib/api/dto';
import { problemResponse } from '@/lib/api/problem';
import { learnerPathSchema, parseRequest } from '@/lib/api/schemas';
import { jsonResponse, withApiKey } from '@/lib/http/route';
import { getLearner } from '@/lib/sync';

export const dynamic = 'force-dynamic';

/** GET /api/v1/learners/{id}: the learner with every pair's state. */
export const GET = withApiKey<{ id: string }>('learners:read', async ({ db, params }) => {
  const { id } = parseRequest(learnerPathSchema, params, '(path)');
  const learner = await getLearner(db, id);
  if (!learner) return problemResponse('not-found', `Learner ${id} does not exist.`);
  return jsonResponse(toLearnerDto(learner));
});
