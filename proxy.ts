import { NextResponse, type NextRequest } from 'next/server';
import { getToken } from 'next-auth/jwt';
import { env } from '@/lib/env';

/**
 * Sends signed-out visitors to /login. This is a convenience, not the security boundary: every
 * page, server action and route handler authorizes itself through lib/auth/session.ts.
 */
export async function proxy(request: NextRequest) {
  // Server actions are POSTs to a page URL; they authorize (and audit refusals) themselves, so a
  // signed-out POST reaches the action and is refused there rather than silently redirected.
  if (request.headers.has('next-action')) return NextResponse.next();

  const token = await getToken({ req: request, secret: env().NEXTAUTH_SECRET });
  if (token) return NextResponse.next();

  const login = new URL('/login', request.url);
  const back = request.nextUrl.pathname + request.nextUrl.search;
  if (back !== '/') login.searchParams.set('callbackUrl', back);
  return NextResponse.redirect(login);
}

export const config = {
  // Everything but the sign-in page, next-auth's own routes, the JSON/monitoring API (which
  // answers 401/403 itself) and static assets.
  matcher: ['/((?!login|api/|_next/static|_next/image|favicon\\.ico|icon\\.svg|robots\\.txt).*)'],
};
