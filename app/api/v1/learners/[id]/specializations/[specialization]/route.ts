import { readPairDto } from '@/lib/api/dto';
import { enrollBody, pairPathSchema, parseRequest } from '@/lib/api/schemas';
import { jsonResponse, withApiKey } from '@/lib/http/route';
import { enroll } from '@/lib/sync';

export const dynamic = 'force-dynamic';

/** POST /api/v1/learners/{id}/specializations/{specialization}: enrolls, 201 with the pair; 409 when already enrolled. */
export const POST = withApiKey<{ id: string; specialization: string }>('learners:write', async ({ db, params, body, actor }) => {
  const { id, specialization } = parseRequest(pairPathSchema, params, '(path)');
  parseRequest(enrollBody, body);
  await enroll(db, id, specialization, actor);
  return jsonResponse(await readPairDto(db, id, specialization), { status: 201 });
});
