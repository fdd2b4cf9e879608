import { readPairDto } from '@/lib/api/dto';
import { pairPathSchema, parseRequest, recordProgressBody } from '@/lib/api/schemas';
import { jsonResponse, withApiKey } from '@/lib/http/route';
import { recordProgress } from '@/lib/sync';

export const dynamic = 'force-dynamic';

/**
 * POST /api/v1/learners/{id}/specializations/{specialization}/progress `{ xpGained, sessionsCompleted }`:
 * adds them (a learner's first progress in a specialization enrolls them) and answers the pair.
 */
export const POST = withApiKey<{ id: string; specialization: string }>('progress:write', async ({ db, params, body, actor }) => {
  const { id, specialization } = parseRequest(pairPathSchema, params, '(path)');
  const input = parseRequest(recordProgressBody, body);
  await recordProgress(db, id, specialization, input, actor);
  return jsonResponse(await readPairDto(db, id, specialization));
});
