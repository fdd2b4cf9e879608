import { allTableRows, expect, staff, tableHeaders, test } from './fixtures';

test.describe('audit log', () => {
  test("the audit log filters by actor and action, the URL reproduces the view, and the rows are the database's", async ({
    page,
    adminPage,
    sql,
    factory,
  }) => {
    const admin = staff('admin');
    // Something the admin does that is audited: a row sync.
    // (The desync is listed at once: the database keeps the set at every commit.)
    const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 2, licenseLevel: 1 }]);
    await page.goto('/desyncs');
    await page.getByLabel('Search learners').fill(learner.email);
    await page.getByLabel('Search learners').press('Enter');
    const row = page.getByRole('table', { name: 'Desyncs' }).getByRole('row').filter({ hasText: learner.email });
    await row.getByRole('button', { name: 'Sync' }).click();
    await expect(row).toHaveCount(0);

    await page.goto('/audit');
    const table = page.getByRole('table', { name: 'Audit log' });
    await expect(table).toBeVisible();
    const headers = (await tableHeaders(table)).map((h) => h.toLowerCase());
    for (const h of ['when', 'who', 'what', 'which pair', 'before', 'after', 'reason', 'source']) expect(headers).toContain(h);

    await page.getByLabel('Actor').selectOption(admin.email);
    await expect(page).toHaveURL(/actor=/);
    await page.getByLabel('Action').selectOption('SYNC_PAIR');
    await expect(page).toHaveURL(/action=SYNC_PAIR/);
    await expect(page).toHaveURL(/actor=/);
    const filteredUrl = page.url();

    const [who, what, pair] = [headers.indexOf('who'), headers.indexOf('what'), headers.indexOf('which pair')];
    const rows = await allTableRows(page, 'Audit log');
    const [{ n } = { n: '0' }] = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM audit_events WHERE actor = $1 AND action = 'SYNC_PAIR'`,
      [admin.email],
    );
    expect(Number(n)).toBeGreaterThanOrEqual(1);
    expect(rows).toHaveLength(Number(n));
    for (const r of rows) {
      expect(r[who]).toContain(admin.email);
      expect(r[what]).toContain('SYNC_PAIR');
    }
    expect(
      rows.some((r) => r[pair]!.includes(learner.email) || new RegExp(`#?${learner.id}\\b`).test(r[pair]!)),
      "the learner's pair is listed",
    ).toBe(true);

    await adminPage.goto(filteredUrl);
    await expect(adminPage.getByLabel('Actor')).toHaveValue(admin.email);
    await expect(adminPage.getByLabel('Action')).toHaveValue('SYNC_PAIR');
    expect(await allTableRows(adminPage, 'Audit log')).toEqual(rows);
  });
});
