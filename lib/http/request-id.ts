/**
 * A request's id (proxy.ts makes one per request; the logs and the response carry it): the
 * caller's `X-Request-Id` when it is a plain token (a reverse proxy's), a new UUID otherwise.
 * No dependencies: the proxy imports it.
 */

export const REQUEST_ID_HEADER = 'x-request-id';

const CALLER_ID = /^[\w.:@-]{1,128}$/;

export function requestId(headers: Headers): string {
  const given = headers.get(REQUEST_ID_HEADER);
  return given && CALLER_ID.test(given) ? given : crypto.randomUUID();
}
