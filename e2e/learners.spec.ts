import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, staff, tableRows, test, type Learner, type Sql } from './fixtures';

/**
 * The learner pages: the list with its search, a learner's pairs and history, and the admin's
 * coupled writes from there (record progress, advance, demote, sync), each one History row and
 * one audit event; a VIEWER reads the same page without any form.
 */

async function requirements(sql: Sql, spec: string) {
  const rows = await sql<{ level: number; xp: number; sessions: number }>(
    `SELECT level, xp_required AS xp, sessions_required AS sessions FROM level_requirements WHERE specialization_id = $1 ORDER BY level`,
    [spec],
  );
  return new Map(rows.map((r) => [r.level, r]));
}

async function pairRows(sql: Sql, userId: number, spec: string) {
  const [row] = await sql<{ p: number | null; l: number | null }>(
    `SELECT (SELECT current_level FROM specialization_progress WHERE user_id = $1 AND specialization_id = $2) AS p,
            (SELECT current_level FROM user_licenses WHERE user_id = $1 AND specialization_id = $2) AS l`,
    [userId, spec],
  );
  return `${row!.p ?? '-'}/${row!.l ?? '-'}`;
}

async function auditCount(sql: Sql, userId: number): Promise<number> {
  const [row] = await sql<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE user_id = $1', [userId]);
  return Number(row!.n);
}

function toast(page: Page, text: RegExp): Locator {
  return page.locator('[aria-live]').filter({ hasText: text }).first();
}

/** The History table's rows, newest first, once it shows `count` of them. */
async function historyRows(page: Page, count: number): Promise<string[][]> {
  const table = page.getByRole('table', { name: 'History' });
  await expect.poll(async () => (await tableRows(table)).length, { message: `History shows ${count} rows` }).toBe(count);
  return tableRows(table);
}

async function openLearner(page: Page, learner: Learner) {
  await page.goto('/learners');
  const box = page.getByRole('searchbox', { name: 'Search learners' });
  await box.fill(learner.email);
  await box.press('Enter');
  await expect(page).toHaveURL((url) => url.searchParams.get('q') === learner.email);
  const row = page.getByRole('table', { name: 'Learners' }).getByRole('row').filter({ hasText: learner.email });
  await expect(row).toHaveCount(1);
  return row;
}

test.describe('learner pages', () => {
  test('an admin finds a learner, records progress, advances, demotes and syncs; each write is one History row', async ({
    page,
    sql,
    factory,
  }) => {
    const admin = staff('admin');
    const learner = await factory.learner([
      { spec: 'PLAYER', progressLevel: 2, licenseLevel: 2 },
      { spec: 'COACH', progressLevel: 3, licenseLevel: 2 },
    ]);
    const req = await requirements(sql, 'PLAYER');

    // The list: each pair as "SPEC progress · license" with its consistency in text.
    const row = await openLearner(page, learner);
    const cells = (await row.getByRole('cell').allInnerTexts()).map((c) => c.replace(/\s+/g, ' ').trim());
    expect(cells).toEqual([learner.name, learner.email, expect.stringMatching(/PLAYER 2 · 2 ✓ ?consistent/)]);
    expect(cells[2]).toMatch(/COACH 3 · 2 Level mismatch/);

    await row.getByRole('link', { name: learner.name }).click();
    await expect(page).toHaveURL((url) => url.pathname === `/learners/${learner.id}`);
    await expect(page.getByRole('heading', { level: 1, name: learner.name })).toBeVisible();
    await expect(page.getByRole('main')).toContainText(learner.email);
    const player = page.getByRole('region', { name: 'PLAYER' });
    const coach = page.getByRole('region', { name: 'COACH' });
    await expect(player).toContainText('Consistent');
    await expect(player).toContainText(/Next: level 3 needs [\d,]+ XP and [\d,]+ sessions/);
    await expect(coach).toContainText('Out of sync: Level mismatch');
    await expect(player.getByRole('button', { name: 'Sync this pair' })).toHaveCount(0);
    // The factory wrote the pairs by raw SQL, progress then license, in two statements: four
    // foreign writes, each with what it did to its pair's verdict, by the tests' connection.
    const foreign = await historyRows(page, 4);
    for (const r of foreign) {
      expect(r[1], 'who').toMatch(/^sql:e2e-tests\b.*application e2e-tests/);
      expect(r[2], 'source').toBe('SQL');
    }
    expect(foreign.map((r) => `${r[4]} ${r[3]}`).sort()).toEqual([
      'COACH FOREIGN_WRITE wrote license, changed it to Level mismatch',
      'COACH FOREIGN_WRITE wrote progress, broke it: Missing license',
      'PLAYER FOREIGN_WRITE wrote license, fixed it',
      'PLAYER FOREIGN_WRITE wrote progress, broke it: Missing license',
    ]);

    // Record progress: exactly what level 3 needs more than level 2; progress and license follow.
    const record = player.getByRole('form', { name: 'Record progress' });
    await record.getByLabel('XP gained').fill(String(req.get(3)!.xp - req.get(2)!.xp));
    await record.getByLabel('Sessions completed').fill(String(req.get(3)!.sessions - req.get(2)!.sessions));
    await record.getByRole('button', { name: 'Record progress' }).click();
    await expect(toast(page, /Recorded progress in PLAYER: progress 3 · license 3/)).toBeVisible();
    let history = await historyRows(page, 5);
    expect(history[0]!.join(' | ')).toMatch(
      new RegExp(`${admin.email} \\| ADMIN \\| RECORD_PROGRESS \\| PLAYER \\| progress 2 · license 2.*→ progress 3 · license 3`),
    );
    expect(await pairRows(sql, learner.id, 'PLAYER')).toBe('3/3');

    // Advance the license to 5, with a reason.
    const advance = player.getByRole('form', { name: 'Advance license' });
    await advance.getByLabel('New level').selectOption('5');
    await advance.getByLabel('Reason (optional)').fill('E2E advance');
    await advance.getByRole('button', { name: 'Advance license' }).click();
    await expect(toast(page, /Advanced the PLAYER license to level 5/)).toBeVisible();
    history = await historyRows(page, 6);
    expect(history[0]!.join(' | ')).toMatch(
      /ADVANCE_LICENSE \| PLAYER \| progress 3 · license 3.*→ progress 5 · license 5.* \| E2E advance$/,
    );
    expect(await pairRows(sql, learner.id, 'PLAYER')).toBe('5/5');

    // Demote to 2: the reason is required.
    const demote = player.getByRole('form', { name: 'Demote' });
    await demote.getByLabel('Demote to level').selectOption('2');
    await demote.getByLabel('Reason (required)').fill('E2E demote');
    await demote.getByRole('button', { name: 'Demote' }).click();
    await expect(toast(page, /Demoted the PLAYER license to level 2/)).toBeVisible();
    history = await historyRows(page, 7);
    expect(history[0]!.join(' | ')).toMatch(
      /DEMOTE_LICENSE \| PLAYER \| progress 5 · license 5.*→ progress 2 · license 2.* \| E2E demote$/,
    );
    expect(await pairRows(sql, learner.id, 'PLAYER')).toBe('2/2');

    // The out-of-sync pair offers "Sync this pair"; afterwards it is consistent.
    await coach.getByRole('button', { name: 'Sync this pair' }).click();
    await expect(toast(page, /Synced COACH/)).toBeVisible();
    await expect(coach).toContainText('Consistent');
    history = await historyRows(page, 8);
    expect(history[0]!.join(' | ')).toMatch(/SYNC_PAIR \| COACH/);
    expect(await pairRows(sql, learner.id, 'COACH')).toBe('3/3');

    // Enroll in the one specialization left: a new pair at level 1, and no more "Enroll".
    const enroll = page.getByRole('form', { name: 'Enroll' });
    await enroll.getByLabel('Specialization').selectOption('INTERNSHIP');
    await enroll.getByRole('button', { name: 'Enroll' }).click();
    await expect(toast(page, /Enrolled in INTERNSHIP: progress 1 · license 1/)).toBeVisible();
    await expect(page.getByRole('region', { name: 'INTERNSHIP' })).toContainText('Consistent');
    await expect(enroll).toHaveCount(0);
    history = await historyRows(page, 9);
    expect(history[0]!.join(' | ')).toMatch(/ENROLL \| INTERNSHIP \| progress none · license none.*→ progress 1 · license 1/);

    // One audit event per write, naming the admin.
    const events = await sql<{ action: string; actor: string }>('SELECT action, actor FROM audit_events WHERE user_id = $1 ORDER BY id', [
      learner.id,
    ]);
    expect(events).toEqual(
      ['RECORD_PROGRESS', 'ADVANCE_LICENSE', 'DEMOTE_LICENSE', 'SYNC_PAIR', 'ENROLL'].map((action) => ({ action, actor: admin.email })),
    );
  });

  test('a form sent from a page that another admin has outdated is refused and writes nothing', async ({
    page,
    adminPage,
    sql,
    factory,
  }) => {
    const learner = await factory.learner([{ spec: 'INTERNSHIP', progressLevel: 1, licenseLevel: 1 }]);
    await page.goto(`/learners/${learner.id}`);
    await adminPage.goto(`/learners/${learner.id}`);

    // The other tab advances the license; this one still shows version 1.
    const other = adminPage.getByRole('region', { name: 'INTERNSHIP' }).getByRole('form', { name: 'Advance license' });
    await other.getByLabel('New level').selectOption('2');
    await other.getByRole('button', { name: 'Advance license' }).click();
    await expect(toast(adminPage, /Advanced the INTERNSHIP license to level 2/)).toBeVisible();
    const before = { pair: await pairRows(sql, learner.id, 'INTERNSHIP'), audit: await auditCount(sql, learner.id) };
    expect(before.pair).toBe('2/2');

    const stale = page.getByRole('region', { name: 'INTERNSHIP' });
    await stale.getByRole('form', { name: 'Advance license' }).getByLabel('New level').selectOption('3');
    await stale.getByRole('button', { name: 'Advance license' }).click();
    await expect(toast(page, /changed by someone else.*reload/i)).toBeVisible();
    await stale.getByRole('form', { name: 'Record progress' }).getByLabel('XP gained').fill('10');
    await stale.getByRole('button', { name: 'Record progress' }).click();
    await expect(page.getByRole('alert').filter({ hasText: /changed by someone else/i })).toHaveCount(1);
    await expect(page.getByRole('alert').locator('.toast')).toHaveCount(2);
    expect({ pair: await pairRows(sql, learner.id, 'INTERNSHIP'), audit: await auditCount(sql, learner.id) }).toEqual(before);
  });

  test('a VIEWER sees the learner page with no forms', async ({ viewerPage: page, factory }) => {
    const learner = await factory.learner([
      { spec: 'PLAYER', progressLevel: 3, licenseLevel: 3 },
      { spec: 'COACH', progressLevel: 2, licenseLevel: null },
    ]);
    const row = await openLearner(page, learner);
    await row.getByRole('link', { name: learner.name }).click();
    await expect(page.getByRole('heading', { level: 1, name: learner.name })).toBeVisible();
    await expect(page.getByRole('region', { name: 'PLAYER' })).toContainText('Consistent');
    await expect(page.getByRole('region', { name: 'COACH' })).toContainText('Out of sync: Missing license');
    await expect(page.getByRole('table', { name: 'History' })).toBeVisible();
    const main = page.getByRole('main');
    await expect(main.getByRole('button', { name: 'Record progress' })).toHaveCount(0);
    await expect(main.getByRole('button')).toHaveCount(0);
    await expect(main.locator('form')).toHaveCount(0);
  });

  test('an unknown or malformed learner id is a 404, never a 500; bad list parameters are harmless', async ({ page, factory }) => {
    const learner = await factory.learner([]);
    for (const id of [
      'abc',
      '-1',
      '0',
      '1e3',
      '1.5',
      '0x10',
      '2147483648',
      '9'.repeat(10_000),
      '2147483647',
      String(learner.id + 10_000),
    ]) {
      const res = await page.request.get(`/learners/${id}`, { maxRedirects: 0 });
      expect(res.status(), `/learners/${id.slice(0, 20)}`).toBe(404);
    }
    expect((await page.request.get(`/learners/${learner.id}`)).status()).toBe(200);
    for (const query of ['?page=-1', '?page=abc', '?page=1000000000', `?q=${'x'.repeat(10_000)}`, `?q=${encodeURIComponent('a\u0000b')}`]) {
      expect((await page.request.get(`/learners${query}`)).status(), query.slice(0, 30)).toBeLessThan(500);
    }
  });

  test('the learner pages have no serious accessibility violations', async ({ page, factory }) => {
    const learner = await factory.learner([
      { spec: 'PLAYER', progressLevel: 2, licenseLevel: 1 },
      { spec: 'COACH', progressLevel: 1, licenseLevel: 1 },
    ]);
    for (const url of [`/learners?q=${encodeURIComponent(learner.email)}`, `/learners/${learner.id}`]) {
      await page.goto(url);
      await expect(page.locator('[aria-busy="true"]:visible')).toHaveCount(0);
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(
        serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        url,
      ).toEqual([]);
    }
  });
});
