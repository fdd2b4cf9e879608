import { headers } from 'next/headers';
import { log } from '@/lib/log';
import { requestId } from './request-id';

/**
 * One log line per route handler and server action: the request id, who (the actor), what
 * (method and path, or the action), the outcome (status, or the action's error code) and how
 * long it took. The id is the proxy's (lib/http/request-id.ts); route responses carry it back.
 */

/** The id of the request being served (a server action's, a page's); a new one outside a request. */
export async function currentRequestId(): Promise<string> {
  try {
    return requestId(await headers());
  } catch {
    return crypto.randomUUID();
  }
}

const httpLog = log.child({ component: 'http' });

export interface RequestLog {
  readonly id: string;
  /** Who the request turned out to be, once authorized (an email, an API key's name, `monitor`). */
  actor?: string;
}

type Handler<C> = (request: Request, context?: C) => Promise<Response>;

/** Wraps a route handler: `handle` sets `entry.actor` once it knows it; the line is written with the response. */
export function loggedRoute<C>(handle: (request: Request, context: C | undefined, entry: RequestLog) => Promise<Response>): Handler<C> {
  return async (request, context) => {
    const started = performance.now();
    const entry: RequestLog = { id: requestId(request.headers) };
    const response = await handle(request, context, entry);
    try {
      response.headers.set('X-Request-Id', entry.id);
    } catch {
      // an immutable response (a redirect): it goes without the header
    }
    httpLog.info(
      {
        reqId: entry.id,
        method: request.method,
        path: new URL(request.url).pathname,
        status: response.status,
        ms: Math.round(performance.now() - started),
        actor: entry.actor,
      },
      'request',
    );
    return response;
  };
}

/** The line of a server action, written by defineAction. */
export function logAction(fields: { reqId: string; action: string; actor?: string; ok: boolean; code?: string; ms: number }) {
  httpLog.info(fields, 'action');
}
