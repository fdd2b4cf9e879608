import { expect, figure, signIn, staff, test } from './fixtures';

const GENERIC = 'Invalid email or password';

test.describe('sign-in', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('1. a signed-out visitor is sent to /login', async ({ page }) => {
    for (const path of ['/', '/desyncs', '/jobs', '/audit']) {
      await page.goto(path);
      await expect(page, `${path} redirects`).toHaveURL((url) => url.pathname === '/login');
      await expect(page.getByLabel('Email')).toBeVisible();
      await expect(page.getByLabel('Password')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await expect(page.getByRole('figure', { name: 'Consistency rate' })).toHaveCount(0);
    }
    // The JSON the dashboard polls is refused too.
    const api = await page.request.get('/api/dashboard', { maxRedirects: 0 });
    expect([401, 403]).toContain(api.status());
  });

  test('1. a wrong password or an unknown email shows the one generic message', async ({ page, consoleGuard }) => {
    consoleGuard.allow(/status of 401/); // next-auth answers a failed credentials sign-in with 401
    const admin = staff('admin');
    await signIn(page, admin.email, 'not-the-password');
    await expect(page.getByRole('alert').filter({ hasText: GENERIC })).toHaveText(GENERIC);
    await expect(page).toHaveURL((url) => url.pathname === '/login');

    await signIn(page, `nobody-${Date.now()}@syncwatch.test`, 'whatever-password');
    await expect(page.getByRole('alert').filter({ hasText: GENERIC })).toHaveText(GENERIC);
    await expect(page).toHaveURL((url) => url.pathname === '/login');

    // Still signed out.
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
  });

  test('1. an admin signs in and sees the dashboard', async ({ page }) => {
    const admin = staff('admin');
    await page.goto('/jobs');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the visitor wanted to go, then the dashboard.
    await expect(page).toHaveURL((url) => url.pathname === '/jobs');
    await page.goto('/');
    const header = page.getByRole('banner');
    await expect(header.getByText(admin.email)).toBeVisible();
    await expect(header.getByText('ADMIN', { exact: true })).toBeVisible();
    await expect(header.getByRole('button', { name: 'Sign out' })).toBeVisible();
    for (const label of [
      'Consistency rate',
      'Pairs checked',
      'Desyncs',
      'Orphans',
      'Last full audit',
      'Foreign writes',
      'Last sync job',
      'Next scheduled sync',
    ]) {
      await expect(figure(page, label), label).toBeVisible();
    }
    await expect(page.getByRole('main')).toContainText(/On schedule|Overdue/);
    await expect(page.getByRole('button', { name: 'Run full audit' })).toBeEnabled();
    await expect(page.getByRole('button', { name: 'Sync now' })).toBeEnabled();
  });

  test('9. a STUDENT cannot sign in, even with the right password', async ({ page, factory, consoleGuard }) => {
    consoleGuard.allow(/status of 401/);
    const password = 'student-password-123';
    const student = await factory.user({ role: 'STUDENT', password });
    await signIn(page, student.email, password);
    await expect(page.getByRole('alert').filter({ hasText: GENERIC })).toHaveText(GENERIC);
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    await page.goto('/');
    await expect(page).toHaveURL((url) => url.pathname === '/login');
    const cookies = await page.context().cookies();
    expect(cookies.filter((c) => /session-token/.test(c.name))).toEqual([]);
  });
});
