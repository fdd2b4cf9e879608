import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test, type Sql } from './fixtures';

/** Serious and critical WCAG 2.1 A/AA violations on the page as it is now. */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes
        .slice(0, 5)
        .map((n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`),
    }));
}

async function expectAccessible(page: Page, what: string) {
  // Wait until the page has settled: no skeletons, nothing busy.
  await page.waitForLoadState('networkidle').catch(() => {});
  await expect(page.locator('[aria-busy="true"]:visible')).toHaveCount(0);
  expect(await seriousViolations(page), `${what}: no serious or critical accessibility violations`).toEqual([]);
}

/** The newest finished job (global setup leaves one in the history). */
async function someJobId(sql: Sql): Promise<number> {
  const [job] = await sql<{ id: number }>(`SELECT id FROM sync_jobs WHERE status <> 'RUNNING' ORDER BY id DESC LIMIT 1`);
  expect(job, 'a finished sync job').toBeDefined();
  return job!.id;
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`15. accessibility, ${colorScheme} scheme`, () => {
    test.use({ colorScheme });

    test(`15. /login has no serious accessibility violations (${colorScheme})`, async ({ anonPage: page }) => {
      await page.emulateMedia({ colorScheme });
      await page.goto('/login');
      await expectAccessible(page, '/login');
    });

    test(`15. every dashboard page has no serious accessibility violations (${colorScheme})`, async ({ page, sql }) => {
      const jobId = await someJobId(sql);
      for (const url of ['/', '/desyncs', '/jobs', `/jobs/${jobId}`, '/audit', '/incidents', '/settings/notifications']) {
        await page.goto(url);
        await expectAccessible(page, url);
      }
      // The sync preview dialog, open.
      await page.goto('/');
      await page.getByRole('button', { name: 'Sync now' }).click();
      const dialog = page.getByRole('dialog', { name: 'Sync preview' });
      await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();
      await expectAccessible(page, 'the "Sync preview" dialog');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    });

    test(`15. the viewer's dashboard has no serious accessibility violations (${colorScheme})`, async ({ viewerPage: page }) => {
      await page.emulateMedia({ colorScheme });
      await page.goto('/');
      await expectAccessible(page, '/ as a viewer');
    });
  });
}

test.describe('keyboard', () => {
  test('the admin actions work from the keyboard, with visible focus; the dialog traps and returns focus', async ({ page }) => {
    await page.goto('/');
    const syncNow = page.getByRole('button', { name: 'Sync now' });
    await expect(syncNow).toBeEnabled();
    // Tab from the top of the page until "Sync now" has the focus.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await syncNow.evaluate((el) => el === document.activeElement);
    }
    expect(reached, '"Sync now" is reachable with Tab').toBe(true);
    // Visible focus: an outline or a box shadow on the focused button.
    const ring = await syncNow.evaluate((el) => {
      const cs = getComputedStyle(el);
      return (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
    });
    expect(ring, 'the focused button shows a focus ring').toBe(true);

    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Sync preview' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();
    expect(await dialog.evaluate((d) => d.contains(document.activeElement)), 'focus moves into the dialog').toBe(true);
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      // Inside the dialog, or out to the browser's own UI (body), never onto the page behind it.
      const where = await dialog.evaluate((d) =>
        d.contains(document.activeElement) ? 'dialog' : document.activeElement === document.body ? 'browser' : 'page',
      );
      expect(where, 'Tab never reaches the page behind the modal dialog').not.toBe('page');
    }
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    expect(await syncNow.evaluate((el) => el === document.activeElement), 'focus returns to "Sync now"').toBe(true);
  });
});
