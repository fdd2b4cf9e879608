import { readFileSync } from 'node:fs';
import { expect, parseCsv, syncNowViaUi, test } from './fixtures';

/**
 * Issue 14's "find anything" and "history you can look at", in the browser: every job that
 * touched one learner, a job's items and the audit log searched by learner (and the log's CSV),
 * "/" focusing the search, and the charts' range picker.
 */
test.describe('history', () => {
  test('finds every job that touched one learner, by email and by id, and that learner in a job and in the audit log', async ({
    page,
    sql,
    factory,
  }) => {
    const [target, other] = await factory.learners(2, () => [{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 1 }]);
    const breakPair = (id: number) =>
      sql(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [id]);
    // Three jobs: the first and the last touch the target; the second only the other learner.
    const first = await syncNowViaUi(page, sql, `history ${factory.tag} 1`);
    await breakPair(other!.id);
    const second = await syncNowViaUi(page, sql, `history ${factory.tag} 2`);
    await breakPair(target!.id);
    const third = await syncNowViaUi(page, sql, `history ${factory.tag} 3`);
    const touched = await sql<{ job_id: number }>('SELECT DISTINCT job_id FROM sync_job_items WHERE user_id = $1 ORDER BY job_id', [
      target!.id,
    ]);
    expect(touched.map((r) => r.job_id)).toEqual([first.id, third.id]);

    const jobIdsShown = () =>
      page
        .getByRole('table', { name: 'Sync jobs' })
        .locator('tbody tr[data-job-id]')
        .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-job-id'))));
    await page.goto('/jobs');
    const learner = page.getByRole('search', { name: 'Filter sync jobs' }).getByLabel('Learner');
    await learner.fill(target!.email);
    await learner.press('Enter');
    await expect(page).toHaveURL(/[?&]learner=/);
    await expect.poll(jobIdsShown, { message: 'every job that touched the learner, newest first' }).toEqual([third.id, first.id]);
    expect(await jobIdsShown()).not.toContain(second.id);

    await page.goto(`/jobs?learner=%23${target!.id}`);
    await expect.poll(jobIdsShown).toEqual([third.id, first.id]);

    // In the first job's items: only the target's.
    await page.goto(`/jobs/${first.id}`);
    const itemLearner = page.getByRole('search', { name: 'Filter job items' }).getByLabel('Learner');
    await itemLearner.fill(target!.email);
    await itemLearner.press('Enter');
    await expect(page).toHaveURL(/[?&]learner=/);
    const items = page.getByRole('table', { name: 'Job items' });
    await expect(items).toContainText(target!.email);
    await expect(items).not.toContainText(other!.email);

    // The audit log by learner, and its CSV export of exactly that view.
    await page.goto(`/audit?learner=${encodeURIComponent(target!.email)}`);
    const log = page.getByRole('table', { name: 'Audit log' });
    await expect(log).toContainText('SYNC_JOB_REPAIR');
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const [header, ...records] = parseCsv(readFileSync(await (await downloading).path(), 'utf8')).filter((r) => r.some((f) => f !== ''));
    const [{ n }] = (await sql<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1', [target!.id])) as [
      { n: number },
    ];
    expect(records).toHaveLength(n);
    const userColumn = header!.indexOf('Learner ID');
    expect(userColumn, `a learner column in ${header!.join(',')}`).toBeGreaterThanOrEqual(0);
    for (const r of records) expect(r[userColumn]).toBe(String(target!.id));
  });

  test('"/" focuses the search box of every list, but not while typing in a field', async ({ page }) => {
    for (const [path, label] of [
      ['/desyncs', 'Search learners'],
      ['/learners', 'Search learners'],
      ['/jobs', 'Learner'],
      ['/audit', 'Learner'],
    ] as const) {
      await page.goto(path);
      const box = page.getByRole('search').getByLabel(label, { exact: true }).first();
      await expect(box).not.toBeFocused();
      await page.locator('body').press('/');
      await expect(box, `${path}: "/" focuses "${label}"`).toBeFocused();
      // Typed inside the box, "/" is just a character.
      await box.press('/');
      await expect(box).toHaveValue(/\/$/);
    }
  });

  test('the consistency chart switches to 30 d, keeps it across a reload, and /jobs charts durations over 7 d', async ({ page }) => {
    await page.goto('/');
    const range = page.getByRole('group', { name: 'Range' });
    await expect(range.getByRole('radio', { name: '24 h' })).toBeChecked();
    await range.getByRole('radio', { name: '30 d' }).check();
    await expect(page).toHaveURL(/[?&]range=30d/);
    await expect(page.getByRole('img', { name: 'Chart: consistency over time, last 30 days' })).toBeVisible();
    // The demo seed's week of checks, bucketed in SQL.
    await expect(page.getByTestId('trend-summary')).toContainText(/^Last 30 days: [\d,]+ checks in \d+ buckets/);
    await page.reload();
    await expect(page.getByRole('group', { name: 'Range' }).getByRole('radio', { name: '30 d' })).toBeChecked();
    await expect(page.getByRole('img', { name: 'Chart: consistency over time, last 30 days' })).toBeVisible();

    await page.goto('/jobs');
    await page.getByRole('group', { name: 'Range' }).getByRole('radio', { name: '7 d' }).check();
    await expect(page.getByRole('img', { name: 'Chart: job durations and repairs, last 7 days' })).toBeVisible();
    await expect(page.getByTestId('job-history-summary')).toContainText(/^Last 7 days: [\d,]+ finished jobs?/);
  });
});
