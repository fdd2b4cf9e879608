import type { Page, Route } from '@playwright/test';
import { expect, figure, forcePolling, liveIndicator, test, type ConsoleGuard } from './fixtures';

/**
 * Every request the page makes after loading (fetch/XHR: the polling) is answered by `handler`;
 * anything else goes on to the other routes (the event stream stays down). Returns the undo.
 */
async function breakPolling(page: Page, handler: (route: Route) => Promise<void>) {
  const route = async (r: Route) => {
    const type = r.request().resourceType();
    if (type === 'fetch' || type === 'xhr') await handler(r);
    else await r.fallback();
  };
  await page.route('**/*', route);
  return () => page.unroute('**/*', route);
}

/** The dashboard polling every 5 s: the event stream is down, so polling is how it stays current. */
async function openWithFastRefresh(page: Page, consoleGuard: ConsoleGuard) {
  await forcePolling(page, consoleGuard);
  await page.goto('/');
  await page.getByLabel('Refresh every').selectOption('5');
  await expect(liveIndicator(page)).toHaveText('Polling every 5 s');
  await expect(figure(page, 'Pairs checked')).toBeVisible();
  await expect(page.getByText(/stale/i)).toHaveCount(0);
}

test.describe('stale data', () => {
  test('14. when the server stops answering, the page shows its data as stale, and since when', async ({ page, consoleGuard }) => {
    consoleGuard.allow(/Failed to load resource|ERR_FAILED|Failed to fetch/);
    await openWithFastRefresh(page, consoleGuard);

    const repair = await breakPolling(page, (route) => route.abort('failed'));
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
    await repair();
    await expect(page.getByText(/stale/i)).toHaveCount(0, { timeout: 25_000 });
  });

  test('14. a server error (503) is shown as stale data too', async ({ page, consoleGuard }) => {
    consoleGuard.allow(/status of 503/);
    await openWithFastRefresh(page, consoleGuard);
    const repair = await breakPolling(page, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'down' } }),
      }),
    );
    await expect(page.getByText(/stale/i).first()).toBeVisible({ timeout: 25_000 });
    await repair();
    await expect(page.getByText(/stale/i)).toHaveCount(0, { timeout: 25_000 });
  });
});
