/**
 * Security headers. Pages get a Content-Security-Policy with a fresh nonce per request (set by
 * proxy.ts; Next.js puts the nonce on its own scripts when it renders dynamically); every other
 * response gets the static headers from next.config.ts.
 */

export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
}

export function contentSecurityPolicy(nonce: string, opts: { dev: boolean }): string {
  return [
    `default-src 'self'`,
    // 'strict-dynamic': scripts the nonced bootstrap loads are trusted, nothing else is.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? ` 'unsafe-eval'` : ''}`,
    // React and Recharts set style attributes; styles cannot run code.
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self'`,
    `connect-src 'self'${opts.dev ? ' ws:' : ''}`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ');
}

/** For JSON, CSV and other non-HTML answers: nothing may load, nothing may frame them. */
export const API_CSP = `default-src 'none'; frame-ancestors 'none'`;

export const STATIC_SECURITY_HEADERS: { key: string; value: string }[] = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
];
