import { mkdirSync } from 'node:fs';
import { expect, signIn, test as setup } from './fixtures';
import { AUTH_DIR, STAFF, storageStateFor, type StaffRole } from './support/run';

/** Signs in once per role through the real /login form and keeps the session for the specs. */

mkdirSync(AUTH_DIR, { recursive: true });

for (const role of Object.keys(STAFF) as StaffRole[]) {
  setup(`sign in as ${role}`, async ({ anonPage: page }) => {
    const { email, password } = STAFF[role];
    await signIn(page, email, password);
    await expect(page).toHaveURL((url) => url.pathname === '/');
    await expect(page.getByRole('banner').getByText(email)).toBeVisible();
    await page.context().storageState({ path: storageStateFor(role) });
  });
}
