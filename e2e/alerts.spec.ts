import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Locator, Page } from '@playwright/test';
import { expect, test, type Sql } from './fixtures';

/**
 * Incidents and their notifications in the browser: an ADMIN adds a signed webhook channel on
 * /settings/notifications pointing at a real receiver started here (the run's server allows
 * 127.0.0.1: ALERTS_ALLOW_PRIVATE_NETWORK=true in e2e/global-setup.ts), presses "Send test" and
 * sees it delivered; mutes and unmutes; acknowledges an open incident with a note. A VIEWER sees
 * the incidents but no notification settings.
 */

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that records every request with its raw body and answers 200. */
async function startReceiver(): Promise<{ origin: string; requests: Received[]; close: () => Promise<void> }> {
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function toast(page: Page, text: string | RegExp): Locator {
  return page.locator('[aria-live]').filter({ hasText: text }).first();
}

const sign = (body: string, secret: string) => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

/** An open, unacknowledged incident's id, waiting for the app's alert worker (it evaluates every 30 s) to open one. */
async function openIncident(sql: Sql): Promise<number> {
  let id: number | undefined;
  await expect
    .poll(
      async () => {
        const [row] = await sql<{ id: number }>(
          `SELECT id FROM incidents WHERE resolved_at IS NULL AND acknowledged_at IS NULL
           AND condition = 'CONSISTENCY_BELOW_TARGET' ORDER BY id DESC LIMIT 1`,
        );
        id = row?.id;
        return id;
      },
      { message: 'the alert worker opens a "Consistency below target" incident', timeout: 60_000, intervals: [1_000] },
    )
    .toBeDefined();
  return id!;
}

test.describe('incidents and notifications', () => {
  test('an ADMIN adds a signed webhook channel, sends a test, and the receiver gets it once, signed', async ({ page }) => {
    const receiver = await startReceiver();
    const name = `e2e-hook-${Date.now()}`;
    const secret = 'e2e-webhook-secret-0123456789';
    const tokenPath = '/hooks/e2e-token-path';
    try {
      await page.goto('/settings/notifications');
      await expect(page.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();
      const form = page.getByRole('form', { name: 'Add channel' });
      await expect(form.getByLabel('Kind')).toHaveValue('WEBHOOK');
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('URL or address').fill(`${receiver.origin}${tokenPath}`);
      await expect(form.getByLabel('Secret')).toHaveAttribute('type', 'password');
      await form.getByLabel('Secret').fill(secret);
      await expect(form.getByRole('group', { name: 'Conditions' }).getByRole('checkbox', { checked: true })).toHaveCount(0);
      await form.getByRole('button', { name: 'Add channel' }).click();
      await expect(toast(page, `Channel ${name} added.`)).toBeVisible();

      const row = page.getByRole('table', { name: 'Channels' }).getByRole('row', { name: new RegExp(name) });
      await expect(row).toContainText(`${receiver.origin}/…`);
      await expect(row).toContainText('All');
      await expect(page.getByRole('main')).not.toContainText(tokenPath);
      await expect(page.getByRole('main')).not.toContainText(secret);

      await row.getByRole('button', { name: `Send test to ${name}` }).click();
      await expect(toast(page, `Test delivered to ${name}`)).toBeVisible({ timeout: 20_000 });
      // A new channel is also told of the incidents already open: only one of the POSTs is the test.
      const tests = receiver.requests.filter((r) => r.headers['x-syncwatch-event'] === 'test');
      expect(tests).toHaveLength(1);
      expect(tests[0]!.path).toBe(tokenPath);
      expect(tests[0]!.headers['x-syncwatch-signature']).toBe(sign(tests[0]!.body, secret));
      expect(tests[0]!.headers['x-syncwatch-delivery']).toMatch(/^\d+$/);
      expect(JSON.parse(tests[0]!.body)).toMatchObject({ state: 'test' });
      for (const r of receiver.requests) expect(r.headers['x-syncwatch-signature']).toBe(sign(r.body, secret));
      await expect(row).toContainText(/delivered/);

      page.once('dialog', (d) => void d.accept());
      await row.getByRole('button', { name: `Remove ${name}` }).click();
      await expect(toast(page, `Channel ${name} removed.`)).toBeVisible();
      await expect(row).toHaveCount(0);
    } finally {
      await receiver.close();
    }
  });

  test('an ADMIN mutes a condition until a time with a reason, and ends the window now', async ({ page }) => {
    const reason = `e2e maintenance ${Date.now()}`;
    // The datetime-local input is in the browser's time zone: the run's, like Node's here.
    const until = new Date(Date.now() + 2 * 3_600_000);
    const local = new Date(until.getTime() - until.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.goto('/settings/notifications');
    const form = page.getByRole('form', { name: 'Mute notifications' });
    await form.getByLabel('Until').fill(local);
    await form.getByRole('group', { name: 'Conditions' }).getByRole('checkbox', { name: 'Desync burst from one writer' }).check();
    await form.getByLabel('Reason').fill(reason);
    await form.getByRole('button', { name: 'Mute' }).click();
    await expect(toast(page, /Notifications muted until/)).toBeVisible();
    const row = page.getByRole('table', { name: 'Maintenance windows' }).getByRole('row', { name: new RegExp(reason) });
    await expect(row).toContainText('Desync burst from one writer');
    await expect(row).toContainText('Active');
    await row.getByRole('button', { name: 'End now' }).click();
    await expect(toast(page, 'Maintenance window ended: notifications are sent again.')).toBeVisible();
    await expect(row).toContainText('Ended early');
    await expect(row.getByRole('button', { name: 'End now' })).toHaveCount(0);
  });

  test('an open incident is on the dashboard; a VIEWER may not acknowledge it; an ADMIN does, with a note, on its timeline', async ({
    page,
    viewerPage,
    sql,
    factory,
  }) => {
    test.setTimeout(120_000);
    // One more desync keeps the consistency under the target, whatever the tests before repaired.
    await factory.learner([{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 1 }]);
    const id = await openIncident(sql);

    await viewerPage.goto(`/incidents/${id}`);
    await expect(viewerPage.getByRole('button', { name: 'Acknowledge' })).toBeDisabled();
    await expect(viewerPage.getByLabel('Note')).toBeDisabled();
    await expect(viewerPage.getByText('Requires the ADMIN role')).toBeVisible();

    await page.goto('/');
    const card = page.getByRole('region', { name: /Open incidents/ });
    const item = card.getByRole('listitem').filter({ has: page.locator(`a[href="/incidents/${id}"]`) });
    await expect(item).toContainText('Consistency below target');
    await expect(item).toContainText('Not acknowledged');
    await item.getByRole('link', { name: 'Consistency below target' }).click();

    await expect(page).toHaveURL(new RegExp(`/incidents/${id}$`));
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Consistency below target');
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await expect(timeline.getByRole('listitem').first()).toContainText('Opened');
    await expect(page.getByRole('table', { name: 'Deliveries' })).toBeVisible();
    const note = `e2e: looking into it ${Date.now()}`;
    await page.getByLabel('Note').fill(note);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(toast(page, `Incident #${id} acknowledged.`)).toBeVisible();
    await expect(timeline).toContainText(note);
    await expect(timeline.getByRole('listitem').filter({ hasText: 'Acknowledged' })).toContainText('e2e-admin@syncwatch.test');
    await expect(page.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);
    const [row] = await sql<{ by: string; note: string }>(`SELECT acknowledged_by AS by, ack_note AS note FROM incidents WHERE id = $1`, [
      id,
    ]);
    expect(row).toEqual({ by: 'e2e-admin@syncwatch.test', note });

    await page.goto('/incidents?state=OPEN');
    const listed = page
      .getByRole('table', { name: 'Incidents' })
      .getByRole('row')
      .filter({ has: page.locator(`a[href="/incidents/${id}"]`) });
    await expect(listed).toContainText('Acknowledged');

    // An unknown or malformed id is a 404, never a 500.
    for (const bad of ['abc', '-1', '0', '1e3', '0x10', '2147483648', '9'.repeat(1000), '2147483647']) {
      expect((await page.request.get(`/incidents/${bad}`, { maxRedirects: 0 })).status(), `/incidents/${bad.slice(0, 20)}`).toBe(404);
    }
  });

  test('a VIEWER sees the incidents, but neither the notification settings nor a link to them', async ({ viewerPage: page }) => {
    await page.goto('/incidents');
    await expect(page.getByRole('heading', { name: 'Incidents', level: 1 })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Incidents' })).toBeVisible();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'Incidents' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Notifications' })).toHaveCount(0);
    await page.getByLabel('State').selectOption('RESOLVED');
    await expect(page).toHaveURL(/\/incidents\?state=RESOLVED$/);
    await page.goto('/settings/notifications');
    // Refused (and audited); a signed-in VIEWER sent to /login lands back on the dashboard.
    await expect(page).not.toHaveURL(/\/settings\/notifications/);
    await expect(page.getByRole('heading', { name: 'Notifications' })).toHaveCount(0);
  });
});
