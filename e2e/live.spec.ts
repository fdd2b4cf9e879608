import { mkdirSync } from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { freePort } from '../tooling/build';
import { startServer, type RunningServer } from '../tooling/next-server';
import {
  connectAs,
  E2E_POLL_SECONDS,
  expect,
  expectedFigures,
  figureNumber,
  liveIndicator,
  POLLING,
  recordEventStream,
  signIn,
  streamLog,
  tableHeaders,
  tableRows,
  test,
  type Learner,
  type Sql,
} from './fixtures';
import { appEnvOfRun, E2E_APP } from './support/run';

/**
 * Live updates: the database judges every write at its commit and NOTIFYs; each server's one
 * LISTEN connection passes it to the open pages over GET /api/events, which refetch or refresh
 * what they show. Nothing here polls fast (the server's DASHBOARD_POLL_SECONDS is 60), so what a
 * page shows within seconds was pushed.
 */

/** How soon a commit must show on an open page. */
const WITHIN_MS = 3_000;
/** The legacy writer of these tests: its desyncs are caused by "sql:e2e-legacy". */
const LEGACY = 'e2e-legacy';

/**
 * Polls `read` every 50 ms until it returns `expected`, at most WITHIN_MS after `since` (the
 * moment the commit was sent); returns how long after `since` it was seen.
 */
async function seenWithin<T>(what: string, since: number, read: () => Promise<T>, expected: T): Promise<number> {
  await expect
    .poll(read, {
      message: `${what} within ${WITHIN_MS} ms of the commit`,
      intervals: [50],
      timeout: Math.max(0, since + WITHIN_MS - Date.now()),
    })
    .toBe(expected);
  return Date.now() - since;
}

function desyncRows(page: Page, learner: Learner): Locator {
  return page.getByRole('table', { name: 'Desyncs' }).getByRole('row').filter({ hasText: learner.email });
}

/** The "Caused by" cells of the desync list's rows. */
async function causedByShown(page: Page): Promise<string[]> {
  const table = page.getByRole('table', { name: 'Desyncs' });
  const i = (await tableHeaders(table)).map((h) => h.toLowerCase()).indexOf('caused by');
  expect(i, 'a "Caused by" column').toBeGreaterThanOrEqual(0);
  return (await tableRows(table)).map((r) => r[i]!);
}

/** Desyncs the legacy writer caused in the last 24 hours, as "Desyncs by writer (24 h)" counts them. */
async function causedBy(sql: Sql, writer: string): Promise<number> {
  const [row] = await sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM pair_events WHERE writer = $1 AND at >= now() - interval '24 hours' AND effect IN ('BROKE', 'CHANGED')`,
    [writer],
  );
  return row!.n;
}

const markNoReload = (page: Page) => page.evaluate(() => ((window as unknown as { __e2eNoReload: boolean }).__e2eNoReload = true));
const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { __e2eNoReload?: boolean }).__e2eNoReload === true);

test.describe('live updates', () => {
  test('a raw-SQL break shows within 3 s on an open dashboard and desync list, caused by "sql:e2e-legacy", and so does its heal', async ({
    page,
    adminPage,
    sql,
    factory,
  }) => {
    const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 2, licenseLevel: 2 }]);
    const dashboardFetches: number[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/api/dashboard') dashboardFetches.push(Date.now());
    });

    await page.goto('/');
    await expect(liveIndicator(page)).toHaveText('Live');
    await expect(page.getByLabel('Refresh every')).toHaveValue(String(E2E_POLL_SECONDS));
    await adminPage.goto(`/desyncs?q=${encodeURIComponent(learner.email)}`);
    await expect(liveIndicator(adminPage)).toHaveText('Live');
    await expect(adminPage.getByRole('table', { name: 'Desyncs' })).toContainText(/no desyncs/i);
    const before = await expectedFigures(sql);
    await expect.poll(() => figureNumber(page, 'Desyncs')).toBe(before.desyncs);

    // While live, "Refresh every 5 s" does not poll every 5 s (at most every 60 s): changes come as events.
    await page.getByLabel('Refresh every').selectOption('5');
    await expect(liveIndicator(page)).toHaveText('Live');
    const fetchesBefore = dashboardFetches.length;
    await page.waitForTimeout(6_500);
    expect(dashboardFetches.length - fetchesBefore, 'no /api/dashboard poll at the 5 s interval while live').toBe(0);
    await markNoReload(page);
    await markNoReload(adminPage);

    const legacy = await connectAs(LEGACY);
    const latency: Record<string, number> = {};
    try {
      // The legacy writer breaks the pair: license 1 under progress 2. No check runs, nobody clicks.
      const broke = Date.now();
      await legacy.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [learner.id]);
      [latency['break → dashboard'], latency['break → /desyncs']] = await Promise.all([
        seenWithin('the new desync in the dashboard\'s "Desyncs"', broke, () => figureNumber(page, 'Desyncs'), before.desyncs + 1),
        seenWithin('the new row on the open /desyncs', broke, () => desyncRows(adminPage, learner).count(), 1),
      ]);
      const row = desyncRows(adminPage, learner);
      await expect(row).toContainText('PLAYER');
      await expect(row).toContainText(/LEVEL_MISMATCH|level mismatch/i);
      expect(await causedByShown(adminPage)).toEqual([`sql:${LEGACY}`]);
      const [entry] = await sql<{ caused_by: string }>(
        `SELECT caused_by FROM current_desyncs WHERE user_id = $1 AND specialization_id = 'PLAYER'`,
        [learner.id],
      );
      expect(entry?.caused_by).toBe(`sql:${LEGACY}`);
      // The dashboard's "Desyncs by writer (24 h)" counts it for that writer, in the same update.
      const writers = page.getByRole('table', { name: 'Desyncs by writer (24 h)' });
      await expect(writers.getByRole('row').filter({ hasText: `sql:${LEGACY}` })).toContainText(
        String(await causedBy(sql, `sql:${LEGACY}`)),
      );

      // The legacy writer puts it right: gone from both pages as fast.
      const healed = Date.now();
      await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [learner.id]);
      [latency['heal → dashboard'], latency['heal → /desyncs']] = await Promise.all([
        seenWithin('the healed desync gone from "Desyncs"', healed, () => figureNumber(page, 'Desyncs'), before.desyncs),
        seenWithin('the healed row gone from /desyncs', healed, () => desyncRows(adminPage, learner).count(), 0),
      ]);
    } finally {
      await legacy.end();
    }
    // Pushed, not reloaded.
    expect(await notReloaded(page)).toBe(true);
    expect(await notReloaded(adminPage)).toBe(true);
    await expect(liveIndicator(page)).toHaveText('Live');
    test.info().annotations.push({
      type: 'latency (ms from the commit)',
      description: Object.entries(latency)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    });
  });

  test('the stream reconnects after its server restarts, and a break made while it was down shows then', async ({
    page,
    sql,
    factory,
    consoleGuard,
  }, testInfo) => {
    test.slow(); // two server starts
    // While the server is down, the browser's reconnects and requests fail.
    consoleGuard.allow(
      /ERR_CONNECTION_(REFUSED|RESET)|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING|Failed to load resource|Failed to fetch/,
    );
    const learner = await factory.learner([{ spec: 'COACH', progressLevel: 2, licenseLevel: 2 }]);

    // A second server of the run's build, on the run's database, for this test alone.
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, ...appEnvOfRun(), PORT: String(port), NEXTAUTH_URL: baseUrl };
    delete env.CONSISTENCY_TARGET;
    mkdirSync(testInfo.outputDir, { recursive: true });
    let starts = 0;
    const start = () =>
      startServer(E2E_APP, {
        port,
        env,
        logFile: testInfo.outputPath(`second-server-${++starts}.log`),
        readyPath: '/login',
        accept: (res) => res.status < 500,
        pollMs: 100,
        processGroup: true,
      });

    let server: RunningServer | undefined = await start();
    const timing: Record<string, number> = {};
    try {
      // The session cookie is the run's (same secret; cookies do not depend on the port).
      await page.goto(`${baseUrl}/`);
      await expect(liveIndicator(page)).toHaveText('Live');
      const before = await figureNumber(page, 'Desyncs');
      expect(before).toBe((await expectedFigures(sql)).desyncs);

      // SIGTERM: the server ends its streams as it shuts down; the page says it polls now.
      const stopping = Date.now();
      await server.stop();
      server = undefined;
      await expect(liveIndicator(page)).toHaveText(POLLING, { timeout: 10_000 });
      timing['stop → "Polling"'] = Date.now() - stopping;

      // A legacy writer breaks a pair while no server is there to tell the page.
      const legacy = await connectAs(LEGACY);
      try {
        await legacy.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1 AND specialization_id = 'COACH'`, [learner.id]);
      } finally {
        await legacy.end();
      }
      expect(await figureNumber(page, 'Desyncs'), 'nothing can tell the page meanwhile').toBe(before);

      // The same server again, on the same port: the page is live again by itself, and catches up.
      const restarting = Date.now();
      server = await start();
      const ready = Date.now();
      timing['restart → server ready'] = ready - restarting;
      await expect(liveIndicator(page)).toHaveText('Live', { timeout: 15_000 });
      timing['server ready → "Live"'] = Date.now() - ready;
      await expect.poll(() => figureNumber(page, 'Desyncs'), { intervals: [100], timeout: WITHIN_MS }).toBe(before + 1);
      timing['server ready → the break shown'] = Date.now() - ready;
    } finally {
      await server?.stop();
      testInfo.annotations.push({
        type: 'reconnect (ms)',
        description: Object.entries(timing)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      });
    }
  });

  test('a VIEWER whose role becomes STUDENT by SQL loses the stream: no more invalidations, no longer "Live"', async ({
    anonPage: page,
    sql,
    factory,
    consoleGuard,
  }) => {
    // The page's own requests are refused once the account is no longer staff.
    consoleGuard.allow(/status of 40[13]/);
    const password = 'live-viewer-password';
    const viewer = await factory.user({ role: 'VIEWER', password });
    const learner = await factory.learner([{ spec: 'INTERNSHIP', progressLevel: 1, licenseLevel: 1 }]);
    const dashboardFetches: number[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/api/dashboard') dashboardFetches.push(Date.now());
    });
    await recordEventStream(page);
    await signIn(page, viewer.email, password);
    await expect(page).toHaveURL((url) => url.pathname === '/');
    await expect(liveIndicator(page)).toHaveText('Live');

    const invalidations = async () => (await streamLog(page)).events.filter((e) => e.type === 'invalidate').length;
    const legacy = await connectAs(LEGACY);
    const setLicense = (level: number) =>
      legacy.query(`UPDATE user_licenses SET current_level = $2 WHERE user_id = $1 AND specialization_id = 'INTERNSHIP'`, [
        learner.id,
        level,
      ]);
    const deniedEvents = async () => {
      const [row] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'ACCESS_DENIED' AND actor = $1 AND after->>'attempted' = 'VIEW_EVENTS'`,
        [viewer.email],
      );
      return row!.n;
    };
    let lostMs = 0;
    try {
      // While a VIEWER, a legacy write reaches this tab as an invalidation.
      await setLicense(2);
      await expect.poll(invalidations, { message: 'an invalidation while a VIEWER', timeout: WITHIN_MS }).toBeGreaterThan(0);
      const deniedBefore = await deniedEvents();

      await sql(`UPDATE users SET role = 'STUDENT' WHERE id = $1`, [viewer.id]);
      const demoted = Date.now();
      // The stream re-authorizes every 5 s: it says goodbye and the page stops saying "Live".
      await expect(liveIndicator(page)).not.toHaveText('Live', { timeout: 10_000 });
      lostMs = Date.now() - demoted;
      await expect(liveIndicator(page)).toHaveText(POLLING);
      const log = await streamLog(page);
      expect(log.events.at(-1)?.type, 'the last event is "bye"').toBe('bye');
      expect(log.readyState, 'the EventSource is closed').toBe(2);
      const fetchesAfterBye = dashboardFetches.length;

      // A legacy write now reaches the server, not this tab: no event, no reconnect, no refetch.
      await setLicense(1);
      await page.waitForTimeout(WITHIN_MS);
      const after = await streamLog(page);
      expect(after.opened, 'no new EventSource').toBe(log.opened);
      expect(after.events.length, 'nothing more arrived').toBe(log.events.length);
      expect(dashboardFetches.length, 'no refetch of the figures').toBe(fetchesAfterBye);

      // The refusal is audited, and the stream is refused outright now.
      expect(await deniedEvents()).toBeGreaterThan(deniedBefore);
      const res = await page.request.get('/api/events', { maxRedirects: 0, timeout: 5_000 });
      expect([401, 403]).toContain(res.status());
    } finally {
      await legacy.end();
      await sql(`UPDATE users SET role = 'VIEWER' WHERE id = $1`, [viewer.id]);
      test.info().annotations.push({ type: 'stream lost after the demotion (ms)', description: String(lostMs) });
    }
  });
});
