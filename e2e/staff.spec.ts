import { expect, signIn, test } from './fixtures';

/**
 * Staff accounts (issue 16): an ADMIN adds a VIEWER with a generated one-time password on
 * /settings/staff; the VIEWER signs in with it in a fresh context and changes it on
 * /settings/account; disabled by the ADMIN, their open session is sent to /login at once.
 */

test.describe('staff accounts', () => {
  test('an admin adds a viewer, who changes their password, and is locked out when disabled', async ({ page, anonPage, sql }) => {
    const email = `e2e-staff-${Date.now()}@syncwatch.test`;
    try {
      await page.goto('/settings/staff');
      await expect(page.getByRole('heading', { name: 'Staff', level: 1 })).toBeVisible();
      await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' })).toBeVisible();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Name').fill('E2E Viewer');
      await page.getByLabel('Role', { exact: true }).selectOption('VIEWER');
      await expect(page.getByRole('radio', { name: 'Generate a one-time password' })).toBeChecked();
      await page.getByRole('button', { name: 'Add staff member' }).click();
      const oneTime = (await page.getByTestId('one-time-password').innerText()).trim();
      expect(oneTime).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const row = page.getByRole('table', { name: 'Staff' }).getByRole('row', { name: new RegExp(email) });
      await expect(row).toContainText('VIEWER');
      await expect(row).toContainText('Active');
      // Only the hash is stored.
      const [stored] = await sql<{ hash: string }>(`SELECT password_hash AS hash FROM users WHERE email = $1`, [email]);
      expect(stored!.hash).not.toContain(oneTime);

      // The new viewer signs in with it in a browser context of their own.
      await signIn(anonPage, email, oneTime);
      await expect(anonPage).toHaveURL((url) => url.pathname === '/');
      const nav = anonPage.getByRole('navigation', { name: 'Main' });
      await expect(nav.getByRole('link', { name: 'Account' })).toBeVisible();
      await expect(nav.getByRole('link', { name: 'Staff' })).toHaveCount(0);
      await nav.getByRole('link', { name: 'Account' }).click();
      await expect(anonPage.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
      await expect(anonPage.getByRole('main')).toContainText(email);
      await expect(anonPage.getByRole('main')).toContainText('E2E Viewer');
      const newPassword = `e2e new password ${Date.now()}`;
      await anonPage.getByLabel('Current password').fill(oneTime);
      await anonPage.getByLabel('New password', { exact: true }).fill(newPassword);
      await anonPage.getByLabel('Repeat new password').fill(`${newPassword}x`);
      await anonPage.getByRole('button', { name: 'Change password' }).click();
      await expect(anonPage.getByRole('alert').filter({ hasText: 'differ' })).toBeVisible();
      await anonPage.getByLabel('Repeat new password').fill(newPassword);
      await anonPage.getByRole('button', { name: 'Change password' }).click();
      await expect(anonPage.getByText('Password changed.')).toBeVisible();
      const [changed] = await sql<{ n: string }>(
        `SELECT count(*) AS n FROM audit_events a JOIN users u ON u.id = a.user_id
          WHERE u.email = $1 AND a.action = 'STAFF_PASSWORD_CHANGED'`,
        [email],
      );
      expect(Number(changed!.n)).toBe(1);

      // Disabled by the admin: the viewer's open session is refused on its next request.
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: `Disable ${email}` }).click();
      await expect(row).toContainText('Disabled');
      await expect(page.getByRole('button', { name: `Enable ${email}` })).toBeVisible();
      await anonPage.goto('/');
      await expect(anonPage).toHaveURL((url) => url.pathname === '/login');
    } finally {
      await sql(`DELETE FROM users WHERE email = $1`, [email]);
    }
  });

  test('a VIEWER gets Account but not Staff', async ({ viewerPage: page }) => {
    await page.goto('/settings/account');
    await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' })).toHaveCount(0);
    await page.goto('/settings/staff');
    await expect(page).not.toHaveURL(/\/settings\/staff/);
    await expect(page.getByRole('heading', { name: 'Staff', level: 1 })).toHaveCount(0);
  });
});
