import { readFileSync } from 'node:fs';
import { connectAs, expect, parseCsv, test } from './fixtures';

/**
 * Learner names written by legacy code can hold anything, and so can the application_name of a
 * legacy writer, which names the cause of its desyncs ("sql:<application_name>"). They are shown
 * as text everywhere (desync list, learner history, audit log) and exported with spreadsheet
 * formulas neutralised; no script runs.
 */
test('a learner name and a writer name with script and formula payloads are shown as text and exported inert', async ({
  page,
  sql,
  factory,
}) => {
  const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 3 }]);
  const payload = `=HYPERLINK("http://evil.test","x")<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
  await sql(`UPDATE users SET name = $2 WHERE id = $1`, [learner.id, payload]);
  // A legacy writer with a hostile name breaks the pair (application_name: printable ASCII, 63 bytes).
  const writerName = '<img src=x onerror=window.__xss=3><b>w</b>';
  const legacy = await connectAs(writerName);
  try {
    await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [learner.id]);
  } finally {
    await legacy.end();
  }
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });

  await page.goto(`/desyncs?q=${encodeURIComponent(learner.email)}`);
  const table = page.getByRole('table', { name: 'Desyncs' });
  const row = table.getByRole('row').filter({ hasText: learner.email });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('<img src=x onerror="window.__xss=1">');
  await expect(row).toContainText('<script>window.__xss=2</script>');
  await expect(row).toContainText(`sql:${writerName}`);
  await expect(page.getByLabel('Caused by').locator('option', { hasText: writerName })).toHaveCount(1);

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
  expect(cells).toContain(`sql:${writerName}`);

  // The learner's history names the writer of the foreign write, as text.
  await page.goto(`/learners/${learner.id}`);
  const history = page.getByRole('table', { name: 'History' });
  await expect(
    history
      .getByRole('row')
      .filter({ hasText: `sql:${writerName}` })
      .first(),
  ).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await page.goto(`/desyncs?q=${encodeURIComponent(learner.email)}`);

  // Repair it and look at the audit log entry that names the pair.
  await row.getByRole('button', { name: 'Sync' }).click();
  await expect(row).toHaveCount(0);
  await page.goto('/audit');
  await expect(page.getByRole('table', { name: 'Audit log' })).toContainText(learner.email);

  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.evaluate(() => document.querySelectorAll('main img[src="x"], main script').length)).toBe(0);
  expect(dialogs).toBe(0);
});
