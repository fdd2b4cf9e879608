import { expect, test } from './fixtures';

/**
 * An ADMIN creates an API key on /settings/api-keys; the token shown once writes progress through
 * /api/v1 exactly as curl would (Authorization: Bearer, Idempotency-Key); revoked, it stops at once.
 */

test.describe('API keys', () => {
  test('a key created on the page writes progress through the API, replays a retry, and stops when revoked', async ({
    page,
    sql,
    factory,
    request,
  }) => {
    const learner = await factory.learner([]);
    const name = `e2e-key-${Date.now()}`;
    await page.goto('/settings/api-keys');
    await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible();
    await page.getByLabel('Name').fill(name);
    await page.getByRole('checkbox', { name: 'progress:write' }).check();
    await page.getByRole('checkbox', { name: 'learners:read' }).check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const token = (await page.getByTestId('api-key-token').innerText()).trim();
    expect(token).toMatch(/^swk_[A-Za-z0-9_-]{40,}$/);
    // Stored as a hash only.
    const [stored] = await sql<{ n: string }>(`SELECT count(*) AS n FROM api_keys WHERE token_hash = $1 OR prefix = $1`, [token]);
    expect(Number(stored!.n)).toBe(0);

    const progress = (key: string) =>
      request.post(`/api/v1/learners/${learner.id}/specializations/PLAYER/progress`, {
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': 'application/json' },
        data: { xpGained: 30_000, sessionsCompleted: 12 },
      });
    const first = await progress('e2e-first');
    expect(first.status()).toBe(200);
    expect(await first.json()).toMatchObject({ learnerId: learner.id, specialization: 'PLAYER', consistent: true, progress: { level: 2 } });
    // The client timed out and retries with the same key: replayed, not applied twice.
    const retry = await progress('e2e-first');
    expect(retry.status()).toBe(200);
    expect(retry.headers()['idempotent-replayed']).toBe('true');
    const [row] = await sql<{ xp: number }>(`SELECT total_xp AS xp FROM specialization_progress WHERE user_id = $1`, [learner.id]);
    expect(row!.xp).toBe(30_000);
    const [event] = await sql<{ actor: string; source: string }>(
      `SELECT actor, source::text AS source FROM audit_events WHERE user_id = $1 AND action = 'RECORD_PROGRESS'`,
      [learner.id],
    );
    expect(event).toEqual({ actor: name, source: 'API' });
    const read = await request.get(`/api/v1/learners/${learner.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status()).toBe(200);

    await expect(page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: new RegExp(name) })).toBeVisible();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Revoke ${name}` }).click();
    await expect(page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: new RegExp(name) })).toContainText(/revoked/i);
    const refused = await progress('e2e-after-revoke');
    expect(refused.status()).toBe(401);
    expect(refused.headers()['content-type']).toMatch(/application\/problem\+json/);
  });

  test('a VIEWER is sent away from the API keys page and sees no link to it', async ({ viewerPage: page }) => {
    await page.goto('/');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' })).toHaveCount(0);
    await page.goto('/settings/api-keys');
    // Refused (and audited); a signed-in VIEWER sent to /login lands back on the dashboard.
    await expect(page).not.toHaveURL(/\/settings\/api-keys/);
    await expect(page.getByRole('heading', { name: 'API keys' })).toHaveCount(0);
  });
});
