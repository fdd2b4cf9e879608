import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, expectedFigures, figure, figureNumber, signIn, staff, test, type Sql } from './fixtures';
import { accessDenied, captureNextAction, replayHeaders, type CapturedAction } from './support/replay';

const ADMIN_ONLY = 'Requires the ADMIN role';

/** Everything a refused request must leave as it was. */
async function snapshot(sql: Sql, userId: number) {
  const [counts] = await sql(
    `SELECT (SELECT count(*) FROM sync_jobs) AS jobs,
            (SELECT count(*) FROM sync_job_items) AS items,
            (SELECT count(*) FROM health_checks) AS checks,
            (SELECT count(*) FROM current_desyncs) AS current_desyncs,
            (SELECT count(*) FROM audit_events WHERE action <> 'ACCESS_DENIED') AS audit_events`,
  );
  const pair = await sql(
    `SELECT 'progress' AS row, specialization_id, current_level, total_xp, completed_sessions, version, updated_at
     FROM specialization_progress WHERE user_id = $1
     UNION ALL
     SELECT 'license', specialization_id, current_level, NULL, NULL, version, updated_at FROM user_licenses WHERE user_id = $1
     ORDER BY 1, 2`,
    [userId],
  );
  return { counts, pair };
}

/** Route handlers (app/**\/route.ts) that export a mutating method, with a URL to call them. */
function mutatingRouteHandlers(): { url: string; method: string }[] {
  const appDir = path.resolve(import.meta.dirname, '..', 'app');
  const found: { url: string; method: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^route\.(ts|tsx|js)$/.test(entry.name)) {
        const rel = path.relative(appDir, dir).split(path.sep);
        if (rel[0] === 'api' && rel[1] === 'auth') continue; // next-auth's own sign-in/out endpoints
        const url =
          '/' +
          rel
            .filter((s) => !/^\(.*\)$/.test(s))
            .map((s) => (/^\[.*\]$/.test(s) ? '1' : s))
            .join('/');
        const source = readFileSync(full, 'utf8');
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          if (new RegExp(`export\\s+(async\\s+)?(function|const)\\s+${method}\\b`).test(source)) found.push({ url, method });
        }
      }
    }
  };
  walk(appDir);
  return found;
}

test.describe('viewer', () => {
  test('8. a VIEWER sees the figures, with the admin buttons visible but disabled, and why', async ({ viewerPage: page, sql, factory }) => {
    const viewer = staff('viewer');
    // A desync of this test's own, in the figures at once (kept at commit, no check needed).
    await factory.learner([{ spec: 'PLAYER', progressLevel: 2, licenseLevel: 1 }]);
    const expected = await expectedFigures(sql);

    await page.goto('/');
    const header = page.getByRole('banner');
    await expect(header.getByText(viewer.email)).toBeVisible();
    await expect(header.getByText('VIEWER', { exact: true })).toBeVisible();
    await expect.poll(() => figureNumber(page, 'Pairs checked')).toBe(expected.totalPairs);
    expect(await figureNumber(page, 'Desyncs')).toBe(expected.desyncs);
    for (const label of [
      'Consistency rate',
      'Desyncs',
      'Orphans',
      'Last full audit',
      'Foreign writes',
      'Last sync job',
      'Next scheduled sync',
    ]) {
      await expect(figure(page, label), label).toBeVisible();
    }
    for (const name of ['Run full audit', 'Sync now']) {
      const button = page.getByRole('button', { name });
      await expect(button).toBeVisible();
      await expect(button).toBeDisabled();
      await expect(button).toHaveAccessibleDescription(new RegExp(ADMIN_ONLY));
    }
    await expect(page.getByText(ADMIN_ONLY).first()).toBeVisible();

    // The row buttons of the desync list too.
    await page.goto('/desyncs');
    const rowButtons = page.getByRole('table', { name: 'Desyncs' }).getByRole('button', { name: 'Sync' });
    await expect(rowButtons.first()).toBeVisible();
    for (const button of await rowButtons.all()) await expect(button).toBeDisabled();
  });

  test("8. a direct POST of the sync actions with the viewer's session, or with none, changes nothing", async ({
    adminPage,
    viewerPage,
    anonPage,
    sql,
    factory,
    consoleGuard,
  }) => {
    // The admin's captured requests are cut off before they reach the server.
    consoleGuard.allow(/Failed to fetch|ERR_ABORTED|ERR_FAILED|Failed to load resource|network/i);
    const viewer = staff('viewer');
    // A desync (listed at once: the database keeps the set at commit) for the row's "Sync".
    const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }]);
    await adminPage.goto('/');

    // What the admin's browser posts for each mutation, recorded and not delivered.
    const actions: Record<string, CapturedAction> = {};
    actions['Run full audit'] = await captureNextAction(adminPage, () => adminPage.getByRole('button', { name: 'Run full audit' }).click());
    await adminPage.goto('/');
    await adminPage.getByRole('button', { name: 'Sync now' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Sync preview' });
    await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('should never run');
    actions['Confirm sync'] = await captureNextAction(adminPage, () => dialog.getByRole('button', { name: 'Confirm sync' }).click());
    await adminPage.goto('/desyncs');
    await adminPage.getByLabel('Search learners').fill(learner.email);
    await adminPage.getByLabel('Search learners').press('Enter');
    const row = adminPage.getByRole('table', { name: 'Desyncs' }).getByRole('row').filter({ hasText: learner.email });
    await expect(row).toHaveCount(1);
    actions['Sync (row)'] = await captureNextAction(adminPage, () => row.getByRole('button', { name: 'Sync' }).click());

    const before = await snapshot(sql, learner.id);
    const deniedBefore = { viewer: await accessDenied(sql, viewer.email), all: await accessDenied(sql) };

    for (const [who, client] of [
      ['viewer', viewerPage],
      ['signed-out client', anonPage],
    ] as const) {
      for (const [name, action] of Object.entries(actions)) {
        const res = await client.request.fetch(action.url, {
          method: 'POST',
          headers: replayHeaders(action.headers),
          data: action.body ?? undefined,
          maxRedirects: 0,
        });
        const text = await res.text();
        expect(res.status(), `${who} posting "${name}"`).toBeLessThan(500);
        expect(text, `${who} posting "${name}" is not reported as a success`).not.toMatch(/"ok":true/);
        expect(text, 'no stack trace reaches the client').not.toMatch(/\n\s+at \S+ \(/);
      }
    }

    // Nothing changed: no job, no item, no audit (no health_checks row), the pair as it was.
    expect(await snapshot(sql, learner.id)).toEqual(before);
    // Each refusal is in the audit log.
    expect(await accessDenied(sql, viewer.email)).toBeGreaterThanOrEqual(deniedBefore.viewer + 3);
    expect(await accessDenied(sql)).toBeGreaterThanOrEqual(deniedBefore.all + 6);

    // Control: the same replayed request with the admin's session does run the action, so the
    // refusals above came from the authorization, not from a malformed replay.
    const check = actions['Run full audit']!;
    const res = await adminPage.request.fetch(check.url, {
      method: 'POST',
      headers: replayHeaders(check.headers),
      data: check.body ?? undefined,
    });
    expect(res.status()).toBe(200);
    await expect.poll(async () => (await snapshot(sql, learner.id)).counts!.checks).toBe(String(Number(before.counts!.checks) + 1));
  });

  test('a demoted admin loses the power at once, whatever the session says', async ({ anonPage: page, sql, factory, consoleGuard }) => {
    consoleGuard.allow(/status of 401/);
    const password = 'demoted-admin-password';
    const admin = await factory.user({ role: 'ADMIN', password });
    await signIn(page, admin.email, password);
    await expect(page).toHaveURL((url) => url.pathname === '/');
    await expect(page.getByRole('button', { name: 'Run full audit' })).toBeEnabled();

    await sql(`UPDATE users SET role = 'VIEWER' WHERE id = $1`, [admin.id]);
    const [{ n: checksBefore } = { n: '0' }] = await sql<{ n: string }>('SELECT count(*) AS n FROM health_checks');
    const deniedBefore = await accessDenied(sql, admin.email);
    await page.getByRole('button', { name: 'Run full audit' }).click();
    // Refused with a readable sentence, nothing run, the refusal audited.
    await expect(
      page
        .locator('[aria-live]')
        .filter({ hasText: /ADMIN|not allowed|permission|forbidden|requires/i })
        .first(),
    ).toBeVisible();
    const [{ n: checksAfter } = { n: '0' }] = await sql<{ n: string }>('SELECT count(*) AS n FROM health_checks');
    expect(checksAfter).toBe(checksBefore);
    await expect.poll(() => accessDenied(sql, admin.email)).toBeGreaterThan(deniedBefore);
  });

  test('8. the mutating route handlers refuse a VIEWER and change nothing', async ({ viewerPage, sql, factory }) => {
    const learner = await factory.learner([{ spec: 'COACH', progressLevel: 2, licenseLevel: 1 }]);
    const handlers = mutatingRouteHandlers();
    test.info().annotations.push({ type: 'route handlers', description: handlers.map((h) => `${h.method} ${h.url}`).join(', ') || 'none' });
    const before = await snapshot(sql, learner.id);
    for (const { url, method } of handlers) {
      const res = await viewerPage.request.fetch(url, { method, data: {}, maxRedirects: 0 });
      expect([401, 403, 405], `${method} ${url} as a viewer`).toContain(res.status());
    }
    expect(await snapshot(sql, learner.id)).toEqual(before);
  });
});
