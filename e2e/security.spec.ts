import { expect, signIn, staff, test } from './fixtures';

/** Headers on every response, and a proxy that a forged header cannot talk past. */
test.describe('security headers and the proxy', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('pages carry a CSP with a fresh nonce per request and frame-ancestors none; every answer has nosniff and a referrer policy', async ({
    request,
  }) => {
    const first = await request.get('/login');
    const second = await request.get('/login');
    const csp1 = first.headers()['content-security-policy'] ?? '';
    const csp2 = second.headers()['content-security-policy'] ?? '';
    expect(csp1).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp1).toContain("frame-ancestors 'none'");
    expect(csp1.match(/nonce-([^']+)/)?.[1]).not.toBe(csp2.match(/nonce-([^']+)/)?.[1]);
    // The nonce is on Next's own scripts in the page.
    const nonce = csp1.match(/nonce-([^']+)/)![1]!;
    expect(await first.text()).toContain(`nonce="${nonce}"`);
    for (const path of ['/login', '/api/health', '/api/dashboard', '/icon.svg']) {
      const res = await request.get(path, { maxRedirects: 0 });
      expect(res.headers()['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers()['referrer-policy'], path).toBe('strict-origin-when-cross-origin');
    }
  });

  test('a forged x-middleware-subrequest header gets a signed-out client nothing', async ({ request }) => {
    const forged = {
      'x-middleware-subrequest': 'middleware:middleware:middleware:middleware:middleware',
      'x-middleware-subrequest-id': 'forged',
    };
    for (const path of ['/', '/desyncs', '/jobs', '/audit']) {
      const res = await request.get(path, { headers: forged, maxRedirects: 0 });
      expect(res.status(), path).toBe(307);
      expect(res.headers().location, path).toMatch(/\/login/);
    }
    for (const path of ['/api/dashboard', '/api/sync-jobs/running', '/desyncs/export', '/api/metrics', '/api/health/integrity']) {
      const res = await request.get(path, { headers: forged, maxRedirects: 0 });
      expect([401, 403, 307], path).toContain(res.status());
      expect(await res.text(), path).not.toMatch(/consistencyRate|syncwatch_pairs|Learner ID/);
    }
  });

  test('the session cookie is HttpOnly and SameSite', async ({ page }) => {
    const admin = staff('admin');
    await signIn(page, admin.email, admin.password);
    await expect(page).toHaveURL((url) => url.pathname === '/');
    const cookie = (await page.context().cookies()).find((c) => /session-token/.test(c.name));
    expect(cookie).toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Lax');
  });
});
