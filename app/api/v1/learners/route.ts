import { toLearnerRecordDto } from '@/lib/api/dto';
import { createLearnerBody, parseRequest } from '@/lib/api/schemas';
import { jsonResponse, withApiKey } from '@/lib/http/route';
import { createLearner } from '@/lib/sync';

export const dynamic = 'force-dynamic';

/** POST /api/v1/learners `{ email, name }`: 201 with the learner; 409 when the email is taken. */
export const POST = withApiKey('learners:write', async ({ db, body, actor }) => {
  const input = parseRequest(createLearnerBody, body);
  const learner = await createLearner(db, input, actor);
  return jsonResponse(toLearnerRecordDto(learner), { status: 201 });
});
