import { readFileSync } from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import {
  allTableRows,
  desyncKeys,
  EMAIL,
  expect,
  expectedFigures,
  figureNumber,
  normalizeCode,
  parseCsv,
  selectByCode,
  staff,
  tableHeaders,
  tableRows,
  test,
  type Learner,
} from './fixtures';

/** A desync row as data: email|SPEC|KIND|progress|license ("-" for a missing row). */
type RowKey = string;

async function rowKeys(table: Locator, rows: string[][]): Promise<RowKey[]> {
  const headers = (await tableHeaders(table)).map((h) => h.toLowerCase());
  const at = (name: string) => {
    const i = headers.indexOf(name);
    expect(i, `column "${name}" in ${headers.join(', ')}`).toBeGreaterThanOrEqual(0);
    return i;
  };
  const [learner, spec, progress, license, kind] = [
    at('learner'),
    at('specialization'),
    at('progress level'),
    at('license level'),
    at('kind'),
  ];
  const level = (s: string) => (/^\d+$/.test(s) ? s : '-');
  return rows.map((r) =>
    [
      EMAIL.exec(r[learner]!)?.[0] ?? `?${r[learner]}`,
      normalizeCode(r[spec]!),
      normalizeCode(r[kind]!),
      level(r[progress]!),
      level(r[license]!),
    ].join('|'),
  );
}

async function searchLearners(page: Page, text: string) {
  const box = page.getByRole('searchbox', { name: 'Search learners' }).or(page.getByLabel('Search learners')).first();
  await box.fill(text);
  await box.press('Enter');
  await expect(page).toHaveURL((url) => decodeURIComponent(url.search).includes(text));
}

function desyncTable(page: Page) {
  return page.getByRole('table', { name: 'Desyncs' });
}

/** One column's cells of the rows the table shows, by header name (lower case). */
async function columnOf(table: Locator, name: string): Promise<string[]> {
  const headers = (await tableHeaders(table)).map((h) => h.toLowerCase());
  const i = headers.indexOf(name);
  expect(i, `column "${name}" in ${headers.join(', ')}`).toBeGreaterThanOrEqual(0);
  return (await tableRows(table)).map((r) => r[i]!);
}

/** The rows the table shows once it has settled after a navigation. */
async function shownKeys(page: Page): Promise<RowKey[]> {
  const table = desyncTable(page);
  await expect(table).toBeVisible();
  return rowKeys(table, await tableRows(table));
}

/** What the table must list for these learners, from SQL. */
async function expectedKeys(sql: Parameters<typeof desyncKeys>[0], learners: Learner[], filter: { kind?: string; spec?: string } = {}) {
  const byId = new Map(learners.map((l) => [l.id, l.email]));
  const rows = await sql<{ user_id: number; spec: string; kind: string; p: number | null; l: number | null }>(
    `SELECT coalesce(p.user_id, l.user_id) AS user_id, coalesce(p.specialization_id, l.specialization_id) AS spec,
            CASE WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS' WHEN l.user_id IS NULL THEN 'MISSING_LICENSE'
                 ELSE 'LEVEL_MISMATCH' END AS kind,
            p.current_level AS p, l.current_level AS l
     FROM specialization_progress p
     FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     WHERE (p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level)
       AND coalesce(p.user_id, l.user_id) = ANY($1)`,
    [[...byId.keys()]],
  );
  return rows
    .filter((r) => (!filter.kind || r.kind === filter.kind) && (!filter.spec || r.spec === filter.spec))
    .map((r) => [byId.get(r.user_id), r.spec, r.kind, r.p ?? '-', r.l ?? '-'].join('|'))
    .sort();
}

test.describe('desync list', () => {
  test('4. filters, search and pagination of the desync list, and the URL reproduces the view', async ({
    page,
    adminPage,
    sql,
    factory,
  }) => {
    // 60 learners of this test: 20 of each kind, more than one page.
    const learners = await factory.learners(60, (i) => [
      i % 3 === 0
        ? { spec: 'COACH', progressLevel: 3, licenseLevel: 2 }
        : i % 3 === 1
          ? { spec: 'PLAYER', progressLevel: 2, licenseLevel: null }
          : { spec: 'INTERNSHIP', progressLevel: null, licenseLevel: 2 },
    ]);
    // Listed at once: the database keeps the set at every commit (no check runs).
    await page.goto('/desyncs');
    await expect(page.getByRole('main')).toContainText(
      /Kept at every commit by the database, whoever writes\. (Last full audit .+, drift \d+\.|No full audit has run yet\.)/,
    );
    await searchLearners(page, factory.tag);
    const page1 = await shownKeys(page);
    expect(page1.length, 'the first page is full and there is a next one').toBeGreaterThan(0);
    expect(page1.length).toBeLessThan(60);
    // Each names its writer: the factory's raw SQL.
    expect(new Set(await columnOf(desyncTable(page), 'caused by'))).toEqual(new Set(['sql:e2e-tests']));
    await expect(page.getByRole('link', { name: 'Previous' })).toHaveAttribute('aria-disabled', 'true');

    await page.getByRole('link', { name: 'Next' }).click();
    await expect(page).toHaveURL(/page=2/);
    const page2 = await shownKeys(page);
    expect(
      page2.filter((k) => page1.includes(k)),
      'no row on two pages',
    ).toEqual([]);
    expect([...page1, ...page2].sort()).toEqual(await expectedKeys(sql, learners));

    // The URL alone reproduces page 2 of this search, in another tab.
    const page2Url = page.url();
    await adminPage.goto(page2Url);
    expect(await shownKeys(adminPage)).toEqual(page2);
    await expect(adminPage.getByLabel('Search learners')).toHaveValue(factory.tag);

    await page.getByRole('link', { name: 'Previous' }).click();
    await expect(page).not.toHaveURL(/page=2/);
    expect(await shownKeys(page)).toEqual(page1);

    // Kind: only level mismatches, back on page 1.
    await selectByCode(page.getByLabel('Kind'), 'LEVEL_MISMATCH');
    await expect(page).toHaveURL(/LEVEL_MISMATCH/);
    await expect(page).not.toHaveURL(/page=2/);
    const mismatches = (await rowKeys(desyncTable(page), await allTableRows(page, 'Desyncs'))).sort();
    expect(mismatches).toEqual(await expectedKeys(sql, learners, { kind: 'LEVEL_MISMATCH' }));
    expect(mismatches).toHaveLength(20);

    // Kind and Specialization together: none of the mismatches are PLAYER's...
    await selectByCode(page.getByLabel('Specialization'), 'PLAYER');
    await expect(page).toHaveURL(/PLAYER/);
    expect(await shownKeys(page)).toEqual([]);
    await expect(desyncTable(page)).toContainText(/no desyncs/i);

    // ...all are COACH's.
    await selectByCode(page.getByLabel('Specialization'), 'COACH');
    await expect(page).toHaveURL(/COACH/);
    const coachMismatches = (await shownKeys(page)).sort();
    expect(coachMismatches).toEqual(mismatches);

    // The filtered view from its URL: same rows, same controls.
    await adminPage.goto(page.url());
    expect((await shownKeys(adminPage)).sort()).toEqual(coachMismatches);
    await expect(adminPage.getByLabel('Search learners')).toHaveValue(factory.tag);
    expect(normalizeCode(await adminPage.getByLabel('Kind').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text ?? ''))).toMatch(
      /LEVEL_MISMATCH/,
    );
    expect(
      normalizeCode(await adminPage.getByLabel('Specialization').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.text ?? '')),
    ).toMatch(/COACH/);

    // Back restores the previous view.
    await page.goBack();
    await expect(page).toHaveURL(/PLAYER/);

    // "Caused by": the writer's desyncs only, from the URL (causedBy) as from the select.
    await adminPage.goto(`/desyncs?q=${factory.tag}`);
    const causedBy = adminPage.getByLabel('Caused by');
    await expect(causedBy.locator('option').first()).toHaveText('All writers');
    await causedBy.selectOption('sql:e2e-tests');
    await expect(adminPage).toHaveURL((url) => url.searchParams.get('causedBy') === 'sql:e2e-tests');
    expect((await rowKeys(desyncTable(adminPage), await allTableRows(adminPage, 'Desyncs'))).sort()).toEqual(
      await expectedKeys(sql, learners),
    );
    await adminPage.goto(`/desyncs?q=${factory.tag}&causedBy=${encodeURIComponent('sql:nobody-e2e')}`);
    await expect(adminPage.getByLabel('Caused by')).toHaveValue('sql:nobody-e2e');
    expect(await shownKeys(adminPage)).toEqual([]);
  });

  test('5. the row "Sync" button repairs exactly that pair; the row goes, the rate rises, an audit entry names the admin', async ({
    page,
    sql,
    factory,
  }) => {
    const admin = staff('admin');
    const learner = await factory.learner([
      { spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 },
      { spec: 'COACH', progressLevel: 2, licenseLevel: null },
    ]);
    await page.goto('/');
    const before = await expectedFigures(sql);
    const keysBefore = await desyncKeys(sql);
    await expect.poll(() => figureNumber(page, 'Desyncs')).toBe(before.desyncs);
    const rateBefore = await figureNumber(page, 'Consistency rate');
    const [auditMax] = await sql<{ id: string | null }>('SELECT max(id) AS id FROM audit_events');

    await page.goto('/desyncs');
    await searchLearners(page, learner.email);
    const rows = desyncTable(page).getByRole('row').filter({ hasText: learner.email });
    await expect(rows).toHaveCount(2);
    const playerRow = rows.filter({ hasText: 'PLAYER' });
    await playerRow.getByRole('button', { name: 'Sync' }).click();

    // The row goes, without a reload; the learner's other desync stays.
    await expect(playerRow).toHaveCount(0);
    await expect(rows).toHaveCount(1);
    await expect(rows).toContainText('COACH');
    await expect(
      page
        .locator('[aria-live]')
        .filter({ hasText: /synced/i })
        .first(),
    ).toBeVisible();

    // Exactly that pair changed: its license follows the progress level; every other desync is still there.
    const [license] = await sql<{ current_level: number }>(
      `SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_id = 'PLAYER'`,
      [learner.id],
    );
    const [progress] = await sql<{ current_level: number; total_xp: number }>(
      `SELECT current_level, total_xp FROM specialization_progress WHERE user_id = $1 AND specialization_id = 'PLAYER'`,
      [learner.id],
    );
    expect(license!.current_level).toBe(3);
    expect(progress!.current_level).toBe(3);
    const keysAfter = await desyncKeys(sql);
    const gone = [...keysBefore].filter((k) => !keysAfter.has(k));
    expect(gone).toEqual([`${learner.id}:PLAYER:LEVEL_MISMATCH`]);
    expect([...keysAfter].filter((k) => !keysBefore.has(k))).toEqual([]);

    // An audit entry names the admin.
    const audits = await sql<{ actor: string; action: string; source: string }>(
      `SELECT actor, action, source FROM audit_events WHERE id > $1 AND user_id = $2 AND specialization_id = 'PLAYER'`,
      [auditMax!.id ?? 0, learner.id],
    );
    expect(audits).toContainEqual(expect.objectContaining({ actor: admin.email, action: 'SYNC_PAIR' }));
    await page.goto('/audit');
    const auditRow = page
      .getByRole('table', { name: 'Audit log' })
      .getByRole('row')
      .filter({ hasText: 'SYNC_PAIR' })
      .filter({ hasText: admin.email })
      .first();
    await expect(auditRow).toBeVisible();
    await expect(auditRow).toContainText(new RegExp(`${learner.email.replace(/[.]/g, '\\.')}|#?${learner.id}\\b`));
    await expect(auditRow).toContainText('PLAYER');

    // The rate rises, to what SQL says.
    const after = await expectedFigures(sql);
    expect(after.rate).toBeGreaterThan(before.rate);
    await page.goto('/');
    await expect.poll(() => figureNumber(page, 'Consistency rate')).toBeGreaterThan(rateBefore);
    expect(Math.abs((await figureNumber(page, 'Consistency rate')) - after.rate * 100)).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(await figureNumber(page, 'Desyncs')).toBe(before.desyncs - 1);
  });

  test('12. the exported CSV has the same rows as the filtered table (all pages)', async ({ page, sql, factory }) => {
    // 110 learners: 55 missing licenses (two pages of them) and 55 level mismatches.
    const learners = await factory.learners(110, (i) => [
      i % 2 === 0 ? { spec: 'PLAYER', progressLevel: 2, licenseLevel: null } : { spec: 'COACH', progressLevel: 2, licenseLevel: 1 },
    ]);
    await page.goto('/desyncs');
    await searchLearners(page, factory.tag);
    await selectByCode(page.getByLabel('Kind'), 'MISSING_LICENSE');
    await expect(page).toHaveURL(/MISSING_LICENSE/);
    const filteredUrl = page.url();

    const tableKeys = (await rowKeys(desyncTable(page), await allTableRows(page, 'Desyncs'))).sort();
    expect(tableKeys).toHaveLength(55);
    expect(tableKeys).toEqual(await expectedKeys(sql, learners, { kind: 'MISSING_LICENSE' }));

    await page.goto(filteredUrl);
    const downloading = page.waitForEvent('download');
    await page
      .getByRole('link', { name: 'Export CSV' })
      .or(page.getByRole('button', { name: 'Export CSV' }))
      .first()
      .click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const [header, ...records] = parseCsv(readFileSync(await download.path(), 'utf8')).filter((r) => r.some((f) => f !== ''));
    const h = header!.map((c) => c.trim().toLowerCase());
    const col = (name: string) => {
      const i = h.indexOf(name);
      expect(i, `CSV column "${name}" in ${h.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const [email, spec, kind, progress, license, causedBy] = [
      col('email'),
      col('specialization'),
      col('kind'),
      col('progress level'),
      col('license level'),
      col('caused by'),
    ];
    const csvKeys = records
      .map((r) =>
        [
          r[email],
          normalizeCode(r[spec]!),
          normalizeCode(r[kind]!),
          /^\d+$/.test(r[progress]!) ? r[progress] : '-',
          /^\d+$/.test(r[license]!) ? r[license] : '-',
        ].join('|'),
      )
      .sort();
    expect(csvKeys).toEqual(tableKeys);
    // Who caused each: the factory's raw SQL, as in the table.
    expect(new Set(records.map((r) => r[causedBy]))).toEqual(new Set(['sql:e2e-tests']));
  });

  test('bad query parameters give a clamped or empty result or a readable error, never a 500 or script execution', async ({
    page,
    consoleGuard,
  }) => {
    consoleGuard.allow(/status of 400/);
    let dialogs = 0;
    page.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    const hostile = [
      '?kind=NOT_A_KIND',
      '?specialization=NOPE',
      '?page=-1',
      '?page=1000000000',
      '?page=abc',
      `?q=${'x'.repeat(10_000)}`,
      `?q=${encodeURIComponent("' OR 1=1; DROP TABLE users; --")}`,
      `?q=${encodeURIComponent('<script>alert(1)</script><img src=x onerror=alert(2)>')}`,
    ];
    for (const query of hostile) {
      for (const base of ['/desyncs', '/jobs', '/audit']) {
        const res = await page.goto(base + query);
        expect(res!.status(), `${base}${query.slice(0, 60)}`).toBeLessThan(500);
        await expect(page.getByRole('main')).toBeVisible();
      }
    }
    expect(dialogs, 'no script from the URL ran').toBe(0);
    expect(await page.evaluate(() => document.querySelectorAll('main script, main img[src="x"]').length)).toBe(0);
  });
});
