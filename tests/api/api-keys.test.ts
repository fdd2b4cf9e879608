import { createHash } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import { authenticateApiKey, createApiKey, listApiKeys, revokeApiKey } from '../../lib/api/keys';
import { isSyncError } from '../../lib/sync/errors';
import { db, rawClient } from '../support/db';
import { captureLogs } from '../support/logs';
import { createLearner as insertLearner } from '../support/factories';
import { call, domainSnapshot, expectProblem, newKey, pairPath, routes } from './v1-client';

/**
 * API keys: who gets in (401 without a usable key, 403 without the scope), that a revocation
 * holds from the next request, that tokens are neither stored nor logged in clear, and the
 * ADMIN-only server actions of the settings page.
 */

const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));

const ACTOR = { label: 'tests', source: 'CLI' as const };

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  session.current = null;
  await c.query(`TRUNCATE specialization_progress, user_licenses, idempotency_keys, api_rate_windows, api_keys CASCADE`);
  await c.query(`DELETE FROM audit_events`);
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function expectRefused(status: number, opts: { token?: string | null; headers?: Record<string, string> }) {
  const id = await insertLearner(c);
  const before = await domainSnapshot(c);
  const { path, params } = pairPath(id, 'PLAYER', '/progress');
  const a = await call(routes.progress.POST, path, { method: 'POST', params, body: { xpGained: 10, sessionsCompleted: 1 }, ...opts });
  const p = expectProblem(a, status);
  expect(await domainSnapshot(c)).toEqual(before);
  return { answer: a, problem: p };
}

describe('authentication and scopes', () => {
  it('refuses no key, a malformed header, an unknown key: 401 with a Bearer challenge, nothing written', async () => {
    const { token } = await newKey('real', ['progress:write']);
    const none = await expectRefused(401, { token: null });
    expect(none.answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="syncwatch"/);
    await expectRefused(401, { headers: { authorization: `Basic ${token}` } });
    await expectRefused(401, { headers: { authorization: 'Bearer' } });
    await expectRefused(401, { token: token.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')) });
    await expectRefused(401, { token: `${token}x` });
    await expectRefused(401, { token: 'syncwatch-demo-monitor-token' });
    const unknown = await expectRefused(401, { token: `swk_${'A'.repeat(43)}` });
    expect(unknown.answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a key revoked after a successful call, from the very next request', async () => {
    const { key, token } = await newKey('soon-revoked', ['progress:write']);
    const id = await insertLearner(c);
    const { path, params } = pairPath(id, 'PLAYER', '/progress');
    const ok = await call(routes.progress.POST, path, { method: 'POST', token, params, body: { xpGained: 10, sessionsCompleted: 1 } });
    expect(ok.status, ok.text).toBe(200);
    await revokeApiKey(db, key.name, ACTOR);
    await expectRefused(401, { token });
  });

  it('refuses a key without the scope: 403, nothing written; each route checks its own scope', async () => {
    const { token } = await newKey('reader', ['learners:read']);
    const { problem } = await expectRefused(403, { token });
    expect(problem.detail).toContain('progress:write');
    const id = await insertLearner(c);
    expect((await call(routes.learner.GET, `/learners/${id}`, { token, params: { id: String(id) } })).status).toBe(200);
    const write = await call(routes.learners.POST, '/learners', { method: 'POST', token, body: { email: 'x@example.com', name: 'X' } });
    expectProblem(write, 403);
    const { token: writer } = await newKey('writer', ['learners:write', 'progress:write']);
    expectProblem(await call(routes.learner.GET, `/learners/${id}`, { token: writer, params: { id: String(id) } }), 403);
    const { path, params } = pairPath(id, 'PLAYER', '/license');
    expectProblem(await call(routes.license.PUT, path, { method: 'PUT', token: writer, params, body: { level: 2 } }), 403);
  });

  it('writes last_used_at on use, at most once a minute', async () => {
    const { key, token } = await newKey('touched', ['learners:read']);
    const lastUsed = async () => (await c.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [key.id])).rows[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    expect(await authenticateApiKey(db, token)).toMatchObject({ id: key.id, name: 'touched', scopes: ['learners:read'] });
    expect(await lastUsed()).not.toBeNull();
    await c.query(`UPDATE api_keys SET last_used_at = now() - interval '30 seconds' WHERE id = $1`, [key.id]);
    const recent = await lastUsed();
    await authenticateApiKey(db, token);
    expect(await lastUsed()).toEqual(recent);
    await c.query(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [key.id]);
    const old = await lastUsed();
    await authenticateApiKey(db, token);
    expect((await lastUsed()).getTime()).toBeGreaterThan(old.getTime());
  });
});

describe('keys', () => {
  it('stores only the SHA-256 and a 12-character prefix of a high-entropy token', async () => {
    const a = await createApiKey(db, { name: 'lms', scopes: ['progress:write', 'learners:read', 'progress:write'] }, ACTOR);
    const b = await createApiKey(db, { name: 'crm', scopes: ['learners:read'] }, ACTOR);
    expect(a.token).toMatch(/^swk_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.key.scopes).toEqual(['learners:read', 'progress:write']);
    const { rows } = await c.query(`SELECT * FROM api_keys WHERE name = 'lms'`);
    const row = rows[0];
    expect(row.token_hash).toBe(createHash('sha256').update(a.token).digest('hex'));
    expect(row.prefix).toBe(a.token.slice(0, 12));
    const everything =
      JSON.stringify((await c.query(`SELECT * FROM api_keys`)).rows) + JSON.stringify((await c.query(`SELECT * FROM audit_events`)).rows);
    for (const t of [a.token, b.token]) {
      expect(everything).not.toContain(t);
      expect(everything).not.toContain(t.slice(12));
      expect(everything).not.toContain(t.slice(4, 30));
    }
    const listed = JSON.stringify(await listApiKeys(db));
    expect(listed).not.toContain(a.token.slice(12));
    expect(listed).not.toContain(row.token_hash);
  });

  it('audits creation and revocation; refuses a taken name, an unknown scope, unknown or revoked names', async () => {
    await createApiKey(db, { name: 'audited', scopes: ['learners:write'] }, ACTOR);
    await revokeApiKey(db, 'audited', ACTOR);
    const { rows } = await c.query(`SELECT action, actor, source, after FROM audit_events ORDER BY id`);
    expect(rows.map((r) => [r.action, r.actor, r.source])).toEqual([
      ['API_KEY_CREATED', 'tests', 'CLI'],
      ['API_KEY_REVOKED', 'tests', 'CLI'],
    ]);
    expect(rows[0].after).toMatchObject({ name: 'audited', scopes: ['learners:write'], prefix: expect.stringMatching(/^swk_/) });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e) => (isSyncError(e) ? e.code : String(e)),
      );
    expect(await code(createApiKey(db, { name: 'audited', scopes: ['learners:read'] }, ACTOR))).toBe('CONFLICT');
    expect(await code(createApiKey(db, { name: 'x', scopes: ['admin'] }, ACTOR))).toBe('VALIDATION');
    expect(await code(createApiKey(db, { name: 'x', scopes: [] }, ACTOR))).toBe('VALIDATION');
    expect(await code(createApiKey(db, { name: ' bad name ', scopes: ['learners:read'] }, ACTOR))).toBe('VALIDATION');
    expect(await code(revokeApiKey(db, 'audited', ACTOR))).toBe('CONFLICT');
    expect(await code(revokeApiKey(db, 'never-made', ACTOR))).toBe('NOT_FOUND');
  });

  it('never logs a token: creating, using, refusing and revoking print nothing that contains it', async () => {
    const logs = captureLogs();
    const { token } = await newKey('quiet', ['progress:write']);
    const id = await insertLearner(c);
    const { path, params } = pairPath(id, 'PLAYER', '/progress');
    await call(routes.progress.POST, path, { method: 'POST', token, params, body: { xpGained: 10, sessionsCompleted: 1 } });
    await call(routes.progress.POST, path, { method: 'POST', token, params, body: { nope: true } });
    await call(routes.learner.GET, `/learners/${id}`, { token, params: { id: String(id) } });
    await revokeApiKey(db, 'quiet', ACTOR);
    await call(routes.progress.POST, path, { method: 'POST', token, params, body: { xpGained: 10, sessionsCompleted: 1 } });
    // A failure that is logged (the database down) must not carry the token either.
    const g = globalThis as unknown as { syncwatchDb?: unknown };
    const real = g.syncwatchDb;
    const { createDb } = await import('../../lib/db/prisma');
    g.syncwatchDb = createDb('postgresql://nobody:nothing@127.0.0.1:1/none', { poolSize: 1 });
    try {
      expect((await call(routes.learner.GET, `/learners/${id}`, { token, params: { id: String(id) } })).status).toBe(503);
    } finally {
      g.syncwatchDb = real;
      logs.restore();
    }
    // Every request was logged (status and actor), the failure with its error; never the token.
    expect(logs.lines().filter((l) => l.msg === 'request')).toHaveLength(5);
    expect(logs.lines().some((l) => l.msg === 'api route failed')).toBe(true);
    expect(logs.text()).not.toContain(token.slice(4));
    expect(logs.text()).not.toContain(token.slice(0, 16));
  });
});

describe('settings page actions (ADMIN only)', () => {
  async function staff(role: 'ADMIN' | 'VIEWER') {
    const u = await db.user.create({
      data: { email: `${role.toLowerCase()}-${Date.now()}@keys.test`, name: role, role, passwordHash: 'unused' },
      select: { id: true, email: true },
    });
    session.current = { user: { id: String(u.id), email: u.email } };
    return u;
  }

  it('an ADMIN creates a key (the token comes back once) and revokes it', async () => {
    const { createApiKeyAction } = await import('../../lib/actions/create-api-key');
    const { revokeApiKeyAction } = await import('../../lib/actions/revoke-api-key');
    const admin = await staff('ADMIN');
    const created = await createApiKeyAction({ name: 'from-ui', scopes: ['learners:read'] });
    expect(created).toMatchObject({ ok: true, token: expect.stringMatching(/^swk_/), key: { name: 'from-ui', createdBy: admin.email } });
    expect(await authenticateApiKey(db, (created as { token: string }).token)).not.toBeNull();
    expect(await revokeApiKeyAction({ name: 'from-ui' })).toMatchObject({ ok: true, key: { revokedAt: expect.any(String) } });
    expect(await authenticateApiKey(db, (created as { token: string }).token)).toBeNull();
    expect(await revokeApiKeyAction({ name: 'from-ui' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await createApiKeyAction({ name: 'x', scopes: ['root'] })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('a VIEWER or a signed-out visitor is refused, audited, and nothing is created or revoked', async () => {
    const { createApiKeyAction } = await import('../../lib/actions/create-api-key');
    const { revokeApiKeyAction } = await import('../../lib/actions/revoke-api-key');
    await createApiKey(db, { name: 'keep', scopes: ['learners:read'] }, ACTOR);
    for (const who of ['VIEWER', null] as const) {
      if (who) await staff(who);
      else session.current = null;
      expect(await createApiKeyAction({ name: 'sneaky', scopes: ['learners:write'] })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await revokeApiKeyAction({ name: 'keep' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const keys = await listApiKeys(db);
    expect(keys.map((k) => [k.name, k.revokedAt])).toEqual([['keep', null]]);
    const denied = await c.query(`SELECT after->>'attempted' AS attempted FROM audit_events WHERE action = 'ACCESS_DENIED' ORDER BY id`);
    expect(denied.rows.map((r) => r.attempted)).toEqual(['API_KEY_CREATED', 'API_KEY_REVOKED', 'API_KEY_CREATED', 'API_KEY_REVOKED']);
  });
});
