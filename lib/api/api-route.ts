import 'server-only';
import type { Db } from '@/lib/db/prisma';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';
import type { Actor } from '@/lib/sync/types';
import type { ApiScope } from '@/lib/vocabulary';
import { IDEMPOTENCY_HEADER, idempotencyKeySchema, NestingTooDeepError, runWrite } from './idempotency';
import { authenticateApiKey, type AuthenticatedApiKey } from './keys';
import { problemFromError, problemResponse, zodErrors } from './problem';
import { consumeRateLimit } from './rate-limit';
import { loggedRoute } from '@/lib/http/request-log';

/**
 * The /api/v1 side of withApiKey (lib/http/route.ts): a stored API key with the route's scope
 * (401 without a usable key, 403 without the scope), the per-key rate limit (429), then the
 * handler. POST and PUT read the JSON body here and run through runWrite (Idempotency-Key, one
 * transaction). Every error is problem+json; nothing unexpected escapes as a 500.
 */

export interface ApiRouteContext<P> {
  request: Request;
  /** The app's client for reads; for POST and PUT, the write's transaction. */
  db: Db;
  params: P;
  apiKey: AuthenticatedApiKey;
  actor: Actor;
  /** The parsed JSON body of a POST or PUT (undefined when empty); undefined for GET. */
  body: unknown;
}

export type ApiHandler<P> = (ctx: ApiRouteContext<P>) => Promise<Response>;

const MAX_BODY_BYTES = 64 * 1024;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function unauthorized(detail: string, error?: 'invalid_token'): Response {
  const challenge = `Bearer realm="syncwatch"${error ? `, error="${error}"` : ''}`;
  return problemResponse('unauthorized', detail, { headers: { 'WWW-Authenticate': challenge } });
}

/** The bearer token, '' for a malformed Authorization header, null when there is none. */
function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (header === null) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : '';
}

/** Reads at most MAX_BODY_BYTES; a longer body is refused without reading it all. */
async function readBody(request: Request): Promise<{ ok: true; text: string } | { ok: false; response: Response }> {
  const tooLarge = () => ({
    ok: false as const,
    response: problemResponse('payload-too-large', `The body must be at most ${MAX_BODY_BYTES} bytes.`),
  });
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return tooLarge();
  if (!request.body) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return tooLarge();
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

async function parseJsonBody(request: Request): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const read = await readBody(request);
  if (!read.ok) return read;
  if (read.text.trim() === '') return { ok: true, body: undefined };
  const type = request.headers.get('content-type');
  if (type && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
    return { ok: false, response: problemResponse('unsupported-media-type', 'Send the body as application/json.') };
  }
  try {
    return { ok: true, body: JSON.parse(read.text) };
  } catch {
    return { ok: false, response: problemResponse('bad-request', 'The body is not valid JSON.') };
  }
}

export function apiKeyRoute<P>(scope: ApiScope, handler: ApiHandler<P>) {
  return loggedRoute(async (request: Request, context: { params: Promise<P> } | undefined, entry): Promise<Response> => {
    const url = new URL(request.url);
    try {
      const db = getDb();
      const token = bearerToken(request);
      if (token === null) return unauthorized('Send an API key: Authorization: Bearer <token>.');
      const apiKey = await authenticateApiKey(db, token);
      if (!apiKey) return unauthorized('The API key is unknown or revoked.', 'invalid_token');
      entry.actor = `api key ${apiKey.name}`;
      if (!apiKey.scopes.includes(scope)) return problemResponse('forbidden', `This API key does not have the scope ${scope}.`);
      const rate = await consumeRateLimit(db, apiKey.id, env().API_RATE_LIMIT_PER_MINUTE);
      if (!rate.allowed) {
        return problemResponse('rate-limited', `This API key sent more than ${env().API_RATE_LIMIT_PER_MINUTE} requests this minute.`, {
          headers: { 'Retry-After': String(rate.retryAfterSeconds) },
        });
      }
      const params = (context ? await context.params : {}) as P;
      const actor: Actor = { label: apiKey.name, userId: null, source: 'API' };
      if (!WRITE_METHODS.has(request.method)) return await handler({ request, db, params, apiKey, actor, body: undefined });

      const rawKey = request.headers.get(IDEMPOTENCY_HEADER);
      const key = rawKey === null ? undefined : idempotencyKeySchema.safeParse(rawKey);
      if (key && !key.success) {
        return problemResponse('validation', `The ${IDEMPOTENCY_HEADER} header is invalid.`, {
          errors: zodErrors(key.error.issues, IDEMPOTENCY_HEADER),
        });
      }
      const parsed = await parseJsonBody(request);
      if (!parsed.ok) return parsed.response;
      const write = { apiKeyId: apiKey.id, key: key?.data, method: request.method, path: url.pathname + url.search, body: parsed.body };
      return await runWrite(db, write, (tx) => handler({ request, db: tx, params, apiKey, actor, body: parsed.body }));
    } catch (err) {
      if (err instanceof NestingTooDeepError) return problemResponse('bad-request', 'The body is nested too deeply.');
      return problemFromError(err, `${request.method} ${url.pathname}`);
    }
  });
}
