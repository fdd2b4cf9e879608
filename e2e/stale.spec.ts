import type { Page, Route } from '@playwright/test';
import { expect, figure, test } from './fixtures';

/** Every request the page makes after loading (fetch/XHR: the polling) is answered by `handler`. */
async function breakPolling(page: Page, handler: (route: Route) => Promise<void>) {
  await page.route('**/*', async (route) => {
    const type = route.request().resourceType();
    if (type === 'fetch' || type === 'xhr') await handler(route);
    else await route.continue();
  });
}

async function openWithFastRefresh(page: Page) {
  await page.goto('/');
  await page.getByLabel('Refresh every').selectOption('5');
  await expect(figure(page, 'Pairs checked')).toBeVisible();
  await expect(page.getByText(/stale/i)).toHaveCount(0);
}

test.describe('stale data', () => {
  test('14. when the server stops answering, the page shows its data as stale, and since when', async ({ page, consoleGuard }) => {
    consoleGuard.allow(/Failed to load resource|ERR_FAILED|Failed to fetch/);
    await openWithFastRefresh(page);

    await breakPolling(page, (route) => route.abort('failed'));
    const stale = page.getByText(/stale/i).first();
    await expect(stale).toBeVisible({ timeout: 25_000 });
    // "since when": the message carries the time of the last good update.
    const notice = page.locator('[role="alert"], [role="status"], [aria-live]').filter({ hasText: /stale/i }).first();
    await expect(notice).toBeVisible();
    await expect(notice).toContainText(/since/i);
    await expect(
      notice
        .locator('time')
        .first()
        .or(notice.getByText(/\d{1,2}:\d{2}/).first()),
    ).toBeVisible();
    // The old figures may stay, but only under that notice.
    await expect(figure(page, 'Pairs checked')).toBeVisible();

    // When the server answers again, the notice goes at the next refresh.
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await expect(page.getByText(/stale/i)).toHaveCount(0, { timeout: 25_000 });
  });

  test('14. a server error (503) is shown as stale data too', async ({ page, consoleGuard }) => {
    consoleGuard.allow(/status of 503/);
    await openWithFastRefresh(page);
    await breakPolling(page, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'down' } }),
      }),
    );
    await expect(page.getByText(/stale/i).first()).toBeVisible({ timeout: 25_000 });
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await expect(page.getByText(/stale/i)).toHaveCount(0, { timeout: 25_000 });
  });
});
