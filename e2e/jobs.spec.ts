import {
  allTableRows,
  countsByKind,
  desyncKeys,
  expect,
  expectedFigures,
  figureNumber,
  normalizeCode,
  REPAIRABLE_KINDS,
  SEEDED_KINDS,
  staff,
  syncNowViaUi,
  tableHeaders,
  test,
} from './fixtures';

test.describe('sync jobs', () => {
  const scenario6 =
    '6. "Sync now": the preview equals the database; the confirmed job is MANUAL, by the admin, with the reason; the desyncs are gone';
  test(scenario6, async ({ page, sql, factory }) => {
    const admin = staff('admin');
    await factory.learners(3, (i) => [
      { spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 },
      { spec: 'INTERNSHIP', progressLevel: i === 0 ? null : 2, licenseLevel: i === 0 ? 2 : null },
    ]);
    // No check first: the preview plans from the set the database keeps at every commit.
    await page.goto('/');
    const expected = await expectedFigures(sql);
    for (const kind of SEEDED_KINDS) expect(expected.byKind[kind], kind).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Sync now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync preview' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();
    expect(countsByKind(await dialog.innerText(), REPAIRABLE_KINDS)).toEqual(expected.byKind);
    await expect(dialog).toContainText(String(expected.desyncs + expected.orphans));
    // The first planned repairs, before -> after, and nothing changed yet.
    await expect(dialog.getByRole('table', { name: 'Planned repairs' })).toBeVisible();
    expect(await desyncKeys(sql)).toHaveProperty('size', expected.desyncs);

    // Cancel first: nothing starts.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    const [{ n: jobsBefore } = { n: '0' }] = await sql<{ n: string }>('SELECT count(*) AS n FROM sync_jobs');

    const reason = `E2E manual sync ${factory.tag}`;
    const job = await syncNowViaUi(page, sql, reason);
    const [{ n: jobsAfter } = { n: '0' }] = await sql<{ n: string }>('SELECT count(*) AS n FROM sync_jobs');
    expect(Number(jobsAfter)).toBe(Number(jobsBefore) + 1);
    expect(job).toMatchObject({ status: 'SUCCEEDED', trigger: 'MANUAL', actor: admin.email, reason, synced: expected.desyncs, failed: 0 });
    expect((await desyncKeys(sql)).size, 'no desync left in the database').toBe(0);

    // The job in "Sync jobs".
    await page.goto('/jobs');
    const jobs = page.getByRole('table', { name: 'Sync jobs' });
    const row = jobs.getByRole('row').filter({ hasText: reason });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('MANUAL');
    await expect(row).toContainText(admin.email);
    await expect(row).toContainText('SUCCEEDED');
    const headers = (await tableHeaders(jobs)).map((h) => h.toLowerCase());
    for (const h of ['started', 'trigger', 'started by', 'status', 'duration', 'found', 'synced', 'failed', 'reason'])
      expect(headers).toContain(h);

    // The desyncs are gone from the dashboard and the list at once, with no check run.
    await page.goto('/');
    await expect.poll(() => figureNumber(page, 'Desyncs')).toBe(0);
    await page.goto('/desyncs');
    await expect(page.getByRole('table', { name: 'Desyncs' })).toBeVisible();
    expect(await allTableRows(page, 'Desyncs')).toEqual([]);
  });

  test('7. the job page lists every repaired pair with before and after', async ({ page, sql, factory }) => {
    const learners = await factory.learners(3, (i) => [
      i === 0
        ? { spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }
        : i === 1
          ? { spec: 'COACH', progressLevel: 2, licenseLevel: null }
          : { spec: 'INTERNSHIP', progressLevel: null, licenseLevel: 2 },
    ]);
    await page.goto('/');
    const expectedKeys = await desyncKeys(sql);
    const job = await syncNowViaUi(page, sql, `E2E job page ${factory.tag}`);
    expect(job.synced).toBe(expectedKeys.size);

    await page.goto('/jobs');
    await page
      .getByRole('table', { name: 'Sync jobs' })
      .getByRole('row')
      .filter({ hasText: `E2E job page ${factory.tag}` })
      .getByRole('link')
      .first()
      .click();
    await expect(page).toHaveURL((url) => url.pathname === `/jobs/${job.id}`);

    const table = page.getByRole('table', { name: 'Job items' });
    await expect(table).toBeVisible();
    const headers = (await tableHeaders(table)).map((h) => h.toLowerCase());
    const col = (name: string) => {
      const i = headers.findIndex((h) => h.startsWith(name));
      expect(i, `column "${name}" in ${headers.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const [kindCol, beforeCol, afterCol, outcomeCol] = [col('kind'), col('before'), col('after'), col('outcome')];
    const rows = await allTableRows(page, 'Job items');
    expect(rows).toHaveLength(expectedKeys.size);

    // Levels as "<progress> <license>" read from a before/after cell ("progress 3 · license 2").
    const levels = (cell: string) => {
      const p = /progress\D{0,12}?(\d+|none|—)/i.exec(cell)?.[1];
      const l = /licen[cs]e\D{0,12}?(\d+|none|—)/i.exec(cell)?.[1];
      return `${p === undefined || /\D/.test(p) ? '-' : p}/${l === undefined || /\D/.test(l) ? '-' : l}`;
    };
    const expectRow = (email: string, kind: string, before: string, after: string) => {
      const row = rows.find((r) => r.some((c) => c.includes(email)));
      expect(row, `a job item for ${email}`).toBeDefined();
      expect(normalizeCode(row![kindCol]!)).toBe(kind);
      expect(levels(row![beforeCol]!), `before of ${email}`).toBe(before);
      expect(levels(row![afterCol]!), `after of ${email}`).toBe(after);
      expect(normalizeCode(row![outcomeCol]!)).toBe('SYNCED');
    };
    expectRow(learners[0]!.email, 'LEVEL_MISMATCH', '3/2', '3/3');
    expectRow(learners[1]!.email, 'MISSING_LICENSE', '2/-', '2/2');
    expectRow(learners[2]!.email, 'MISSING_PROGRESS', '-/2', '2/2');
    for (const row of rows) expect(normalizeCode(row[outcomeCol]!)).toBe('SYNCED');
  });

  test('10. while a sync runs, "Sync now" is disabled and a second start is refused with who started the running one', async ({
    page,
    sql,
    factory,
  }) => {
    await factory.learner([{ spec: 'PLAYER', progressLevel: 2, licenseLevel: 1 }]);
    await page.goto('/');
    // The dialog is open on a page that has not seen the other job start.
    await page.getByRole('button', { name: 'Sync now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync preview' });
    await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();

    // Another admin's job holds the single running slot.
    const other = `other-admin-${factory.tag}@syncwatch.test`;
    const [running] = await sql<{ id: number; started_at: Date }>(
      `INSERT INTO sync_jobs (status, trigger, actor, reason, started_at, heartbeat_at, found, total, done)
       VALUES ('RUNNING', 'MANUAL', $1, 'e2e: a long job', now() - interval '2 minutes', now(), 200, 200, 50) RETURNING id, started_at`,
      [other],
    );
    try {
      const [{ n: jobsBefore } = { n: '0' }] = await sql<{ n: string }>('SELECT count(*) AS n FROM sync_jobs');
      await dialog.getByRole('textbox', { name: 'Reason' }).fill('second start');
      await dialog.getByRole('button', { name: 'Confirm sync' }).click();
      await expect(page.getByText(new RegExp(`already running.*${other.replace(/[.]/g, '\\.')}`, 'i')).first()).toBeVisible();
      const [{ n: jobsAfter } = { n: '0' }] = await sql<{ n: string }>('SELECT count(*) AS n FROM sync_jobs');
      expect(jobsAfter).toBe(jobsBefore);
      if (await dialog.isVisible()) await dialog.getByRole('button', { name: 'Cancel' }).click();

      // Any page that loads now shows who runs it, since when, and how far it is.
      await page.reload();
      const syncNow = page.getByRole('button', { name: 'Sync now' });
      await expect(syncNow).toBeDisabled();
      const note = page.getByText(/^Sync running since .+, started by /);
      await expect(note).toContainText(other);
      await expect(note.locator('time')).toHaveAttribute('datetime', running!.started_at.toISOString());
      await expect(syncNow).toHaveAccessibleDescription(/Sync running since .+ started by/);
      const progress = page.getByRole('progressbar');
      await expect(progress).toBeVisible();
      // done / total, from aria-valuenow/-max or a native <progress>'s value/max.
      const reading = () =>
        progress.evaluate((el) => {
          const now = el.getAttribute('aria-valuenow') ?? el.getAttribute('value');
          const max = el.getAttribute('aria-valuemax') ?? el.getAttribute('max');
          return `${now}/${max}`;
        });
      await expect.poll(reading).toBe('50/200');
      await expect(page.getByRole('main')).toContainText(/50\s*\/\s*200/);

      // The progress moves as the job reports it.
      await sql(`UPDATE sync_jobs SET done = 150, heartbeat_at = now() WHERE id = $1`, [running!.id]);
      await expect.poll(reading, { timeout: 15_000 }).toBe('150/200');
    } finally {
      // Ends it as a crashed job would be ended (a deleted job would leave the page asking for it).
      await sql(`UPDATE sync_jobs SET status = 'ABANDONED', finished_at = now(), error = 'e2e: ended by the test' WHERE id = $1`, [
        running!.id,
      ]);
    }
    await expect(page.getByRole('button', { name: 'Sync now' })).toBeEnabled({ timeout: 15_000 });
  });
});
