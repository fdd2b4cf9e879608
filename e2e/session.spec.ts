import { expect, figure, signIn, staff, test } from './fixtures';

test.describe('sign-out', () => {
  // A session of its own: signing out must not touch the shared admin session of other tests.
  test.use({ storageState: { cookies: [], origins: [] } });

  test('13. "Sign out" ends the session: going back does not show data', async ({ page }) => {
    const admin = staff('admin');
    await signIn(page, admin.email, admin.password);
    await expect(page).toHaveURL((url) => url.pathname === '/');
    await expect(figure(page, 'Pairs checked')).toBeVisible();
    await page.goto('/desyncs');
    await expect(page.getByRole('table', { name: 'Desyncs' })).toBeVisible();

    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    expect((await page.context().cookies()).filter((c) => /session-token/.test(c.name))).toEqual([]);

    // Back (and back again): whatever the browser restores, no figures and no rows.
    for (let i = 0; i < 2; i++) {
      await page.goBack();
      await page.waitForLoadState('load');
      await expect(page).toHaveURL((url) => url.pathname === '/login');
      await expect(page.getByRole('table', { name: 'Desyncs' })).toHaveCount(0);
      await expect(page.getByRole('figure', { name: 'Pairs checked' })).toHaveCount(0);
      await expect(page.getByText(admin.email)).toHaveCount(0);
    }

    // Nor does a direct visit or the JSON the dashboard polls.
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    const api = await page.request.get('/api/dashboard', { maxRedirects: 0 });
    expect([401, 403]).toContain(api.status());
  });
});
