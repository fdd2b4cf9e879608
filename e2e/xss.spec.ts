import { readFileSync } from 'node:fs';
import { expect, parseCsv, runFullAudit, test } from './fixtures';

/**
 * Learner names written by legacy code can hold anything. They are shown as text everywhere
 * (desync list, audit log) and exported with spreadsheet formulas neutralised; no script runs.
 */
test('a learner name with script and formula payloads is shown as text and exported inert', async ({ page, sql, factory }) => {
  const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }]);
  const payload = `=HYPERLINK("http://evil.test","x")<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
  await sql(`UPDATE users SET name = $2 WHERE id = $1`, [learner.id, payload]);
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });

  await page.goto('/');
  await runFullAudit(page, sql);
  await page.goto(`/desyncs?q=${encodeURIComponent(learner.email)}`);
  const table = page.getByRole('table', { name: 'Desyncs' });
  const row = table.getByRole('row').filter({ hasText: learner.email });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('<img src=x onerror="window.__xss=1">');
  await expect(row).toContainText('<script>window.__xss=2</script>');

  // CSV: the formula cell starts with an apostrophe, so a spreadsheet shows it as text.
  const downloading = page.waitForEvent('download');
  await page
    .getByRole('link', { name: 'Export CSV' })
    .or(page.getByRole('button', { name: 'Export CSV' }))
    .first()
    .click();
  const csv = parseCsv(readFileSync(await (await downloading).path(), 'utf8'));
  const cells = csv.flat();
  expect(cells).toContain(`'${payload}`);
  expect(cells.some((c) => /^[=+\-@]/.test(c) && c.includes('HYPERLINK'))).toBe(false);

  // Repair it and look at the audit log entry that names the pair.
  await row.getByRole('button', { name: 'Sync' }).click();
  await expect(row).toHaveCount(0);
  await page.goto('/audit');
  await expect(page.getByRole('table', { name: 'Audit log' })).toContainText(learner.email);

  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.evaluate(() => document.querySelectorAll('main img[src="x"], main script').length)).toBe(0);
  expect(dialogs).toBe(0);
});
