import { readPairDto } from '@/lib/api/dto';
import { setLicenseLevel } from '@/lib/api/license';
import { pairPathSchema, parseRequest, setLicenseBody } from '@/lib/api/schemas';
import { jsonResponse, withApiKey } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * PUT /api/v1/learners/{id}/specializations/{specialization}/license `{ level, reason, expectedVersion? }`:
 * advances when `level` is at or above the current license level, demotes (reason required) below it.
 */
export const PUT = withApiKey<{ id: string; specialization: string }>('licenses:write', async ({ db, params, body, actor }) => {
  const { id, specialization } = parseRequest(pairPathSchema, params, '(path)');
  const input = parseRequest(setLicenseBody, body);
  await setLicenseLevel(db, id, specialization, input, actor);
  return jsonResponse(await readPairDto(db, id, specialization));
});
