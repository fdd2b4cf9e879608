import 'server-only';
import { apiKeyRoute, type ApiHandler } from '@/lib/api/api-route';
import { authorizeMonitor } from '@/lib/auth/monitor-auth';
import { requireRole, staffActor, type Staff, type StaffRole } from '@/lib/auth/session';
import type { Db } from '@/lib/db/prisma';
import { getDb } from '@/lib/db/server';
import { log } from '@/lib/log';
import { loggedRoute } from './request-log';
import { isSyncError, type SyncErrorCode } from '@/lib/sync/errors';
import type { ApiScope, AttemptedAction } from '@/lib/vocabulary';

/**
 * The one wrapper of every route handler: authorize first (a staff role re-read from the
 * database, or an API key), then run the handler with the app's database; anything the handler
 * throws becomes an error shape, never a 500 page or an exception's text: `{ error: { code,
 * message } }` for the app's routes, RFC 9457 problem+json for the write API (/api/v1).
 */

export type ApiErrorCode = SyncErrorCode | 'UNAUTHORIZED' | 'INTERNAL';

const STATUS: Record<ApiErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ALREADY_RUNNING: 409,
  UNAVAILABLE: 503,
  INTERNAL: 503,
};

const NO_STORE = { 'Cache-Control': 'no-store' } as const;

export function errorResponse(code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status: STATUS[code], headers: { ...NO_STORE, ...headers } });
}

/** A JSON answer that no cache keeps. */
export function jsonResponse(body: unknown, init: { status?: number } = {}): Response {
  return Response.json(body, { status: init.status, headers: NO_STORE });
}

const UNAVAILABLE_MESSAGE = 'SyncWatch cannot reach its database right now. Try again in a moment.';

function failure(err: unknown, where: string): Response {
  if (isSyncError(err)) return errorResponse(err.code, err.message);
  log.error({ err, where }, 'route failed');
  return errorResponse('UNAVAILABLE', UNAVAILABLE_MESSAGE, { 'Retry-After': '5' });
}

type RouteContext<P> = { params: Promise<P> };

export interface StaffRouteContext<P> {
  request: Request;
  params: P;
  staff: Staff;
  db: Db;
}

/** A route for signed-in staff of at least `role`; `attempted` names it in the audit of a refusal. */
export function withStaff<P = Record<string, never>>(
  role: StaffRole,
  attempted: AttemptedAction,
  handler: (ctx: StaffRouteContext<P>) => Promise<Response>,
) {
  return loggedRoute(async (request: Request, context: RouteContext<P> | undefined, entry): Promise<Response> => {
    let staff: Staff;
    try {
      staff = await requireRole(role, { action: attempted });
      entry.actor = staffActor(staff).label;
    } catch (err) {
      // The role could not be read (the database is down): not the client's fault, and no 500.
      return isSyncError(err, 'FORBIDDEN') ? errorResponse('FORBIDDEN', err.message) : failure(err, `authorizing ${attempted}`);
    }
    try {
      const params = (context ? await context.params : {}) as P;
      return await handler({ request, params, staff, db: getDb() });
    } catch (err) {
      return failure(err, attempted);
    }
  });
}

/** What a key may do: `monitor` (MONITOR_TOKEN, read-only monitoring) or a stored key's scope (/api/v1). */
export type RouteScope = 'monitor' | ApiScope;

/**
 * A route for the academy's other systems, authenticated by `Authorization: Bearer <key>`.
 *
 * - `monitor`: the key is MONITOR_TOKEN; signed-in staff (VIEWER or ADMIN) may read it too. A
 *   request that sends a key is judged by the key alone. Errors are `{ error: { code, message } }`.
 * - an API scope (`learners:read`, ...): a stored API key holding that scope (lib/api/keys.ts),
 *   rate-limited per key; POST and PUT honour Idempotency-Key. Errors are RFC 9457
 *   problem+json (lib/api/problem.ts); the handler gets the key and the actor it writes as.
 */
export function withApiKey(
  scope: 'monitor',
  handler: (ctx: { request: Request; db: Db }) => Promise<Response>,
): (request: Request) => Promise<Response>;
export function withApiKey<P = Record<string, never>>(
  scope: ApiScope,
  handler: ApiHandler<P>,
): (request: Request, context?: RouteContext<P>) => Promise<Response>;
export function withApiKey<P>(
  scope: RouteScope,
  handler: ((ctx: { request: Request; db: Db }) => Promise<Response>) | ApiHandler<P>,
): (request: Request, context?: RouteContext<P>) => Promise<Response> {
  if (scope !== 'monitor') return apiKeyRoute(scope, handler as ApiHandler<P>);
  const monitorHandler = handler as (ctx: { request: Request; db: Db }) => Promise<Response>;
  return loggedRoute(async (request: Request, _context: unknown, entry): Promise<Response> => {
    const access = await authorizeMonitor(request);
    if (!access.ok) {
      return errorResponse('UNAUTHORIZED', 'Sign in as a VIEWER or ADMIN, or send Authorization: Bearer <MONITOR_TOKEN>.', {
        'WWW-Authenticate': 'Bearer realm="syncwatch"',
      });
    }
    entry.actor = access.via === 'token' ? 'monitor token' : `staff #${access.staffId}`;
    try {
      return await monitorHandler({ request, db: getDb() });
    } catch (err) {
      return failure(err, `${scope} route ${new URL(request.url).pathname}`);
    }
  });
}
