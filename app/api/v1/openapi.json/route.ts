import { openApiDocument } from '@/lib/api/openapi';

export const dynamic = 'force-static';

/** GET /api/v1/openapi.json: the OpenAPI 3.1 document of the write API, no authentication. */
export function GET(): Response {
  return Response.json(openApiDocument(), { headers: { 'Cache-Control': 'public, max-age=300' } });
}
