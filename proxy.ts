import { NextResponse, type NextRequest } from 'next/server';
import { getToken } from 'next-auth/jwt';
import { env, isProductionMode } from '@/lib/env';
import { REQUEST_ID_HEADER, requestId } from '@/lib/http/request-id';
import { API_CSP, contentSecurityPolicy, newNonce, STATIC_SECURITY_HEADERS } from '@/lib/security/headers';

/**
 * Runs before every request except static assets. It does three things only:
 * - a request id (the caller's X-Request-Id when it is a plain token) for the logs and the response;
 * - security headers, with a per-request CSP nonce for pages;
 * - sends signed-out visitors of pages to /login. This is a convenience, not the security
 *   boundary: every page, server action and route handler authorizes itself through
 *   lib/auth/session.ts (a forged `x-middleware-subrequest` header skips nothing that matters).
 */
const PUBLIC_PAGES = ['/login'];

export async function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  const isApi = pathname.startsWith('/api/');
  const nonce = newNonce();
  const csp = isApi ? API_CSP : contentSecurityPolicy(nonce, { dev: process.env.NODE_ENV === 'development' });

  const id = requestId(request.headers);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set(REQUEST_ID_HEADER, id);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('content-security-policy', csp);
  const finish = (res: NextResponse) => {
    res.headers.set('Content-Security-Policy', csp);
    res.headers.set('X-Request-Id', id);
    for (const h of STATIC_SECURITY_HEADERS) res.headers.set(h.key, h.value);
    return res;
  };
  const pass = () => finish(NextResponse.next({ request: { headers: requestHeaders } }));

  // The JSON/monitoring API answers 401/403 itself. Server actions are POSTs to a page URL; they
  // authorize (and audit refusals) themselves, so a signed-out POST reaches the action and is
  // refused there rather than silently redirected.
  if (isApi || PUBLIC_PAGES.includes(pathname) || request.headers.has('next-action')) return pass();

  const token = await getToken({
    req: request,
    secret: env().NEXTAUTH_SECRET,
    secureCookie: isProductionMode(process.env) && (env().NEXTAUTH_URL ?? '').startsWith('https://'),
  });
  if (token) return pass();

  const login = new URL('/login', request.url);
  const back = pathname + request.nextUrl.search;
  if (back !== '/') login.searchParams.set('callbackUrl', back);
  return finish(NextResponse.redirect(login));
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon\\.ico|icon\\.svg|robots\\.txt).*)'],
};
