import type { Page } from '@playwright/test';
import { expect, signIn, test, type Sql } from './fixtures';

/**
 * Staff accounts (issue 16) on /settings/staff and /settings/account, each account made for its
 * test and signed in in a browser context of its own (`anonPage`) while the ADMIN (`page`) acts:
 * - added with a generated one-time password, it changes its own password and is signed out,
 *   with the reason on /login, and signs in with the new one;
 * - a role change applies on its next request, both ways;
 * - disabled, its open session is sent to /login and it cannot sign in; re-enabled, it signs in
 *   afresh (the session from before stays ended);
 * - a reset with a password the admin sets (the policy's message shown for a weak one) ends its
 *   open session; the old password is refused and the new one works.
 */

const GENERIC = 'Invalid email or password';
const CHANGED = 'Your password was changed. Sign in with the new one.';

const uniqueEmail = (what: string) => `e2e-${what}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@syncwatch.test`;
const staffRow = (page: Page, email: string) => page.getByRole('table', { name: 'Staff' }).getByRole('row', { name: new RegExp(email) });

/** Adds a staff account through "Add staff member" with a password the admin sets. */
async function addWithPassword(page: Page, email: string, role: 'ADMIN' | 'VIEWER', password: string) {
  await page.goto('/settings/staff');
  const form = page.getByRole('form', { name: 'Add staff member' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill(`E2E ${role}`);
  await form.getByLabel('Role', { exact: true }).selectOption(role);
  await form.getByRole('radio', { name: 'Set a password' }).check();
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Add staff member' }).click();
  await expect(page.getByText(`Staff member ${email} added.`)).toBeVisible();
  await expect(staffRow(page, email)).toContainText('Active');
}

/** Signs in and expects the dashboard. */
async function signInOk(page: Page, email: string, password: string) {
  await signIn(page, email, password);
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByRole('banner').getByText(email)).toBeVisible();
}

/** Signs in and expects the one generic refusal. */
async function signInRefused(page: Page, email: string, password: string) {
  await signIn(page, email, password);
  await expect(page.getByRole('alert').filter({ hasText: GENERIC })).toHaveText(GENERIC);
  await expect(page).toHaveURL((url) => url.pathname === '/login');
}

/** Removes the test's account, once its own page is closed (a deleted account's open page would see its requests refused). */
async function removeUser(sql: Sql, email: string, userPage: Page) {
  await userPage.close();
  await sql(`DELETE FROM users WHERE email = $1`, [email]);
}

test.describe('staff accounts', () => {
  test('an admin adds a viewer, who changes their password, is signed out with the reason, and signs in with the new one', async ({
    page,
    anonPage,
    sql,
  }) => {
    const email = uniqueEmail('staff');
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
      const row = staffRow(page, email);
      await expect(row).toContainText('VIEWER');
      await expect(row).toContainText('Active');
      // Only the hash is stored.
      const [stored] = await sql<{ hash: string }>(`SELECT password_hash AS hash FROM users WHERE email = $1`, [email]);
      expect(stored!.hash).not.toContain(oneTime);

      // The new viewer signs in with it in a browser context of their own.
      await signInOk(anonPage, email, oneTime);
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

      // Signed out, and told why.
      await expect(anonPage).toHaveURL((url) => url.pathname === '/login');
      await expect(anonPage.getByRole('status').filter({ hasText: CHANGED })).toHaveText(CHANGED);
      const [changed] = await sql<{ n: string; version: number }>(
        `SELECT count(*) AS n, min(u.session_version) AS version FROM audit_events a JOIN users u ON u.id = a.user_id
          WHERE u.email = $1 AND a.action = 'STAFF_PASSWORD_CHANGED'`,
        [email],
      );
      expect(Number(changed!.n)).toBe(1);
      expect(changed!.version).toBe(2);
      await anonPage.goto('/settings/account');
      await expect(anonPage).toHaveURL((url) => url.pathname === '/login');
      await signInOk(anonPage, email, newPassword);
    } finally {
      await removeUser(sql, email, anonPage);
    }
  });

  test('a role change applies on the account’s next request, both ways', async ({ page, anonPage, sql }) => {
    const email = uniqueEmail('role');
    const password = `e2e role password ${Date.now()}`;
    try {
      await addWithPassword(page, email, 'VIEWER', password);
      await signInOk(anonPage, email, password);
      await anonPage.goto('/settings/staff');
      await expect(anonPage).not.toHaveURL(/\/settings\/staff/);

      await page.getByLabel(`Role of ${email}`, { exact: true }).selectOption('ADMIN');
      await page.getByRole('button', { name: `Change role of ${email}` }).click();
      await expect(page.getByText(`${email} is now ADMIN.`)).toBeVisible();
      await expect(staffRow(page, email)).toContainText('ADMIN');
      await anonPage.goto('/settings/staff');
      await expect(anonPage.getByRole('heading', { name: 'Staff', level: 1 })).toBeVisible();
      await expect(anonPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' })).toBeVisible();

      await page.getByLabel(`Role of ${email}`, { exact: true }).selectOption('VIEWER');
      await page.getByRole('button', { name: `Change role of ${email}` }).click();
      await expect(page.getByText(`${email} is now VIEWER.`)).toBeVisible();
      await anonPage.goto('/settings/staff');
      await expect(anonPage).not.toHaveURL(/\/settings\/staff/);
      await expect(anonPage.getByRole('heading', { name: 'Staff', level: 1 })).toHaveCount(0);
      await expect(anonPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' })).toHaveCount(0);
    } finally {
      await removeUser(sql, email, anonPage);
    }
  });

  test('a disabled account is signed out and cannot sign in; re-enabled, it can', async ({ page, anonPage, sql, consoleGuard }) => {
    consoleGuard.allow(/status of 40[13]/); // the refused sign-in (401), and the refused session's requests
    const email = uniqueEmail('disable');
    const password = `e2e disable password ${Date.now()}`;
    try {
      await addWithPassword(page, email, 'VIEWER', password);
      await signInOk(anonPage, email, password);
      await anonPage.goto('/settings/account');

      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: `Disable ${email}` }).click();
      await expect(staffRow(page, email)).toContainText('Disabled');
      await anonPage.goto('/');
      await expect(anonPage).toHaveURL((url) => url.pathname === '/login');
      await signInRefused(anonPage, email, password);

      await page.getByRole('button', { name: `Enable ${email}` }).click();
      await expect(page.getByText(`${email} enabled.`)).toBeVisible();
      await expect(staffRow(page, email)).toContainText('Active');
      await anonPage.goto('/settings/account');
      await expect(anonPage).toHaveURL((url) => url.pathname === '/login');
      await signInOk(anonPage, email, password);
    } finally {
      await removeUser(sql, email, anonPage);
    }
  });

  test('a reset with a password the admin sets ends the open session; the old password is refused, the new one works', async ({
    page,
    anonPage,
    sql,
    consoleGuard,
  }) => {
    consoleGuard.allow(/status of 40[13]/);
    const email = uniqueEmail('reset');
    const oldPassword = `e2e old password ${Date.now()}`;
    const newPassword = `e2e reset password ${Date.now()}`;
    try {
      await addWithPassword(page, email, 'VIEWER', oldPassword);
      // Signed in before the reset, in a second browser context.
      await signInOk(anonPage, email, oldPassword);
      await anonPage.goto('/settings/account');
      await expect(anonPage.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();

      await page.getByRole('button', { name: `Reset password of ${email}` }).click();
      const form = page.getByRole('form', { name: `Reset password of ${email}` });
      await expect(form.getByRole('radio', { name: 'Generate a one-time password' })).toBeChecked();
      await form.getByRole('radio', { name: 'Set a password' }).check();
      // The policy refuses a common password, and says so; nothing changes.
      await form.getByLabel('Password', { exact: true }).fill('password1234');
      await form.getByRole('button', { name: 'Reset password', exact: true }).click();
      await expect(page.getByRole('alert').filter({ hasText: 'common passwords' })).toBeVisible();
      const [before] = await sql<{ version: number }>(`SELECT session_version AS version FROM users WHERE email = $1`, [email]);
      expect(before!.version).toBe(1);

      await form.getByLabel('Password', { exact: true }).fill(newPassword);
      await form.getByRole('button', { name: 'Reset password', exact: true }).click();
      await expect(page.getByText(`Password of ${email} reset.`)).toBeVisible();
      await expect(form).toHaveCount(0);
      // A password the admin set is not shown back.
      await expect(page.getByTestId('one-time-password')).toHaveCount(0);
      const [after] = await sql<{ version: number }>(`SELECT session_version AS version FROM users WHERE email = $1`, [email]);
      expect(after!.version).toBe(2);

      // The open session is sent to /login on its next navigation.
      await anonPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      await expect(anonPage).toHaveURL((url) => url.pathname === '/login');
      await signInRefused(anonPage, email, oldPassword);
      await signInOk(anonPage, email, newPassword);

      // The admin's own session is untouched.
      await page.goto('/settings/staff');
      await expect(page.getByRole('heading', { name: 'Staff', level: 1 })).toBeVisible();
    } finally {
      await removeUser(sql, email, anonPage);
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
