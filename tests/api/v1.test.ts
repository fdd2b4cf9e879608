import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '../../lib/db/prisma';
import { rawClient } from '../support/db';
import { captureLogs } from '../support/logs';
import { createLearner as insertLearner, createPair, readPairRaw } from '../support/factories';
import { call, domainSnapshot, expectProblem, newKey, pairPath, routes } from './v1-client';

/**
 * The write API's routes, called directly with Requests against this file's real database:
 * each route's answers, the problem+json shape of every error, hostile paths and bodies, and
 * that a refused request writes nothing.
 */

let c: pg.Client;
let token: string;
let keyName: string;

beforeAll(async () => {
  c = await rawClient();
  const key = await newKey('academy-lms', ['learners:read', 'learners:write', 'progress:write', 'licenses:write']);
  token = key.token;
  keyName = key.key.name;
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, specialization_progress, user_licenses, idempotency_keys, api_rate_windows`);
  await c.query(`DELETE FROM audit_events WHERE action NOT IN ('API_KEY_CREATED', 'API_KEY_REVOKED')`);
});

const post = (handler: unknown, path: string, body?: unknown, params?: Record<string, string>) =>
  call(handler, path, { method: 'POST', token, body, params });

/** Runs `fn` and checks that nothing it did reached the tables. */
async function writesNothing<T>(fn: () => Promise<T>): Promise<T> {
  const before = await domainSnapshot(c);
  const result = await fn();
  expect(await domainSnapshot(c)).toEqual(before);
  return result;
}

describe('POST /api/v1/learners', () => {
  it('creates a learner: 201, the record, and an audit event by the API key', async () => {
    const a = await post(routes.learners.POST, '/learners', { email: '  Ada@Example.COM ', name: 'Ada Lovelace' });
    expect(a.status, a.text).toBe(201);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    expect(a.json).toEqual({ id: expect.any(Number), email: 'ada@example.com', name: 'Ada Lovelace', createdAt: expect.any(String) });
    const id = (a.json as { id: number }).id;
    const { rows } = await c.query(`SELECT role, email FROM users WHERE id = $1`, [id]);
    expect(rows).toEqual([{ role: 'STUDENT', email: 'ada@example.com' }]);
    const audit = await c.query(`SELECT actor, source, actor_user_id FROM audit_events WHERE action = 'CREATE_LEARNER' AND user_id = $1`, [
      id,
    ]);
    expect(audit.rows).toEqual([{ actor: keyName, source: 'API', actor_user_id: null }]);
  });

  it('answers 409 when the email exists, and writes nothing', async () => {
    await post(routes.learners.POST, '/learners', { email: 'taken@example.com', name: 'First' });
    const a = await writesNothing(() => post(routes.learners.POST, '/learners', { email: 'TAKEN@example.com', name: 'Second' }));
    const p = expectProblem(a, 409);
    expect(p.type).toBe('urn:syncwatch:problem:conflict');
    expect(p.detail).toContain('taken@example.com');
  });

  it('refuses unknown fields, bad fields, bad JSON, other media types and huge bodies with 4xx problems', async () => {
    const cases: [unknown, number, string?][] = [
      [{ email: 'a@example.com', name: 'A', role: 'ADMIN' }, 400, '(body)'],
      [{ email: 'not-an-email', name: 'A' }, 400, 'email'],
      [{ email: 'a@example.com', name: '' }, 400, 'name'],
      [{ email: 'a@example.com', name: 'x'.repeat(201) }, 400, 'name'],
      [{ email: 'a@example.com', name: 'A\u0000' }, 400, 'name'],
      [{ email: 'a@example.com' }, 400, 'name'],
      [['a@example.com', 'A'], 400, '(body)'],
      ['a@example.com', 400, '(body)'],
      [null, 400, '(body)'],
    ];
    for (const [body, status, path] of cases) {
      const a = await writesNothing(() => post(routes.learners.POST, '/learners', body));
      const p = expectProblem(a, status);
      expect(p.type).toBe('urn:syncwatch:problem:validation');
      expect(p.errors, JSON.stringify(body)).toEqual(expect.arrayContaining([{ path, message: expect.any(String) }]));
    }
    const raw = (rawBody: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      writesNothing(() => call(routes.learners.POST, '/learners', { method: 'POST', token, rawBody, headers }));
    expectProblem(await raw(''), 400);
    expect(expectProblem(await raw('{"email": '), 400).type).toBe('urn:syncwatch:problem:bad-request');
    expectProblem(await raw('{"email":"a@example.com","name":"A"}', { 'content-type': 'text/plain' }), 415);
    expectProblem(await raw(JSON.stringify({ email: 'a@example.com', name: 'A', pad: 'x'.repeat(70_000) })), 413);
    expectProblem(await raw('['.repeat(5000) + ']'.repeat(5000)), 400);
  });
});

describe('GET /api/v1/learners/{id}', () => {
  it('answers the learner with every pair and its state', async () => {
    const id = await insertLearner(c, 'Grace');
    await createPair(c, { userId: id, spec: 'PLAYER', progressLevel: 2 });
    await createPair(c, { userId: id, spec: 'COACH', progressLevel: 3, licenseLevel: 1 });
    const a = await call(routes.learner.GET, `/learners/${id}`, { token, params: { id: String(id) } });
    expect(a.status, a.text).toBe(200);
    const body = a.json as { id: number; pairs: Record<string, unknown>[] };
    expect(body).toMatchObject({ id, name: 'Grace', email: expect.any(String), createdAt: expect.any(String) });
    const bySpec = Object.fromEntries(body.pairs.map((p) => [p.specialization, p]));
    expect(bySpec.PLAYER).toMatchObject({
      progress: { level: 2, totalXp: expect.any(Number), completedSessions: expect.any(Number), version: expect.any(Number) },
      license: { level: 2, startedAt: expect.any(String), lastAdvancedAt: null, version: expect.any(Number) },
      consistent: true,
      desync: null,
      nextLevel: { level: 3, xpRequired: expect.any(Number), sessionsRequired: expect.any(Number) },
    });
    expect(bySpec.COACH).toMatchObject({ consistent: false, desync: 'LEVEL_MISMATCH' });
  });

  it('answers 404 for an unknown learner and for a staff account', async () => {
    const staff = await c.query<{ id: number }>(
      `INSERT INTO users (email, name, role, password_hash) VALUES ('staff@v1.test', 'S', 'ADMIN', 'x') RETURNING id`,
    );
    for (const id of ['999999', String(staff.rows[0]!.id)]) {
      expectProblem(await call(routes.learner.GET, `/learners/${id}`, { token, params: { id } }), 404);
    }
  });

  it('refuses hostile ids with 400, never a 500', async () => {
    for (const id of ['abc', '-1', '0', '01', '1.5', '1e3', ' 1', '2147483648', '99999999999', '9'.repeat(10_000), '%00', '']) {
      const p = expectProblem(await call(routes.learner.GET, `/learners/x`, { token, params: { id } }), 400);
      expect(p.errors).toEqual([{ path: 'id', message: expect.any(String) }]);
    }
  });
});

describe('POST /api/v1/learners/{id}/specializations/{specialization}', () => {
  it('enrolls: 201 with the pair at level 1; 409 the second time, writing nothing', async () => {
    const id = await insertLearner(c);
    const { path, params } = pairPath(id, 'COACH');
    const a = await call(routes.enroll.POST, path, { method: 'POST', token, params });
    expect(a.status, a.text).toBe(201);
    expect(a.json).toEqual({
      learnerId: id,
      specialization: 'COACH',
      progress: { level: 1, totalXp: 0, completedSessions: 0, version: expect.any(Number) },
      license: { level: 1, startedAt: expect.any(String), lastAdvancedAt: null, version: expect.any(Number) },
      consistent: true,
      desync: null,
    });
    const again = await writesNothing(() => call(routes.enroll.POST, path, { method: 'POST', token, params, body: {} }));
    expectProblem(again, 409);
  });

  it('answers 404 for an unknown learner or a staff account, 400 for an unknown specialization or a body', async () => {
    const staff = await c.query<{ id: number }>(
      `INSERT INTO users (email, name, role, password_hash) VALUES ('staff2@v1.test', 'S', 'VIEWER', 'x') RETURNING id`,
    );
    for (const id of [999_999, staff.rows[0]!.id]) {
      const { path, params } = pairPath(id, 'PLAYER');
      expectProblem(await writesNothing(() => call(routes.enroll.POST, path, { method: 'POST', token, params })), 404);
    }
    const id = await insertLearner(c);
    for (const spec of ['WIZARD', 'player', 'x'.repeat(10_000), '']) {
      const { path, params } = pairPath(id, spec);
      const p = expectProblem(await writesNothing(() => call(routes.enroll.POST, path, { method: 'POST', token, params })), 400);
      expect(p.errors).toEqual([{ path: 'specialization', message: expect.stringContaining('PLAYER') }]);
    }
    const { path, params } = pairPath(id, 'PLAYER');
    expectProblem(await writesNothing(() => call(routes.enroll.POST, path, { method: 'POST', token, params, body: { level: 3 } })), 400);
  });
});

describe('POST .../progress', () => {
  it('adds XP and sessions, levels up both rows, and a first progress enrolls', async () => {
    const id = await insertLearner(c);
    const { path, params } = pairPath(id, 'PLAYER', '/progress');
    const a = await call(routes.progress.POST, path, { method: 'POST', token, params, body: { xpGained: 150, sessionsCompleted: 3 } });
    expect(a.status, a.text).toBe(200);
    const body = a.json as { progress: { level: number; totalXp: number }; license: { level: number } };
    expect(a.json).toMatchObject({ learnerId: id, specialization: 'PLAYER', consistent: true, desync: null });
    expect(body.progress).toMatchObject({ totalXp: 150, completedSessions: 3 });
    expect(body.license.level).toBe(body.progress.level);
    const raw = await readPairRaw(c, id, 'PLAYER');
    expect(raw.progress).toMatchObject({ total_xp: 150, completed_sessions: 3 });
    const audit = await c.query(`SELECT actor, source FROM audit_events WHERE action = 'RECORD_PROGRESS' AND user_id = $1`, [id]);
    expect(audit.rows).toEqual([{ actor: keyName, source: 'API' }]);
  });

  it('refuses bad bodies (400), unknown learners (404) and a stale version (409), writing nothing', async () => {
    const id = await insertLearner(c);
    await createPair(c, { userId: id, spec: 'PLAYER', progressLevel: 1 });
    const { path, params } = pairPath(id, 'PLAYER', '/progress');
    const send = (body: unknown, p = params, where = path) =>
      writesNothing(() => call(routes.progress.POST, where, { method: 'POST', token, params: p, body }));
    const bad: [unknown, string][] = [
      [{ xpGained: 0, sessionsCompleted: 0 }, 'xpGained'],
      [{ xpGained: -5, sessionsCompleted: 1 }, 'xpGained'],
      [{ xpGained: 1.5, sessionsCompleted: 1 }, 'xpGained'],
      [{ xpGained: 1_000_001, sessionsCompleted: 1 }, 'xpGained'],
      [{ xpGained: '10', sessionsCompleted: 1 }, 'xpGained'],
      [{ xpGained: 10, sessionsCompleted: 10_001 }, 'sessionsCompleted'],
      [{ xpGained: 10 }, 'sessionsCompleted'],
      [{ xpGained: 10, sessionsCompleted: 1, userId: 1 }, '(body)'],
      [{ xpGained: 10, sessionsCompleted: 1, expectedVersion: -1 }, 'expectedVersion'],
    ];
    for (const [body, field] of bad) {
      const p = expectProblem(await send(body), 400);
      expect(p.errors, JSON.stringify(body)).toEqual(expect.arrayContaining([{ path: field, message: expect.any(String) }]));
    }
    const unknown = pairPath(999_999, 'PLAYER', '/progress');
    expectProblem(await send({ xpGained: 10, sessionsCompleted: 1 }, unknown.params, unknown.path), 404);
    const stale = await send({ xpGained: 10, sessionsCompleted: 1, expectedVersion: 12345 });
    expect(expectProblem(stale, 409).type).toBe('urn:syncwatch:problem:conflict');
    for (const [pid, spec] of [
      ['abc', 'PLAYER'],
      ['-1', 'PLAYER'],
      ['1'.repeat(10_000), 'PLAYER'],
      [String(id), 'NOPE'],
    ] as const) {
      const hostile = pairPath(pid, spec, '/progress');
      expectProblem(await send({ xpGained: 10, sessionsCompleted: 1 }, hostile.params, hostile.path), 400);
    }
  });
});

describe('PUT .../license', () => {
  const put = (id: number, body: unknown) => {
    const { path, params } = pairPath(id, 'PLAYER', '/license');
    return call(routes.license.PUT, path, { method: 'PUT', token, params, body });
  };

  it('advances at or above the current level and demotes below it (with a reason)', async () => {
    const id = await insertLearner(c);
    await createPair(c, { userId: id, spec: 'PLAYER', progressLevel: 2 });
    const up = await put(id, { level: 4, reason: 'exam passed' });
    expect(up.status, up.text).toBe(200);
    expect(up.json).toMatchObject({ progress: { level: 4 }, license: { level: 4 }, consistent: true });
    const version = (up.json as { license: { version: number } }).license.version;

    const noReason = await writesNothing(() => put(id, { level: 2 }));
    expect(expectProblem(noReason, 400).errors).toEqual([{ path: 'reason', message: expect.stringMatching(/required/) }]);

    const down = await put(id, { level: 2, reason: 'failed the review', expectedVersion: version });
    expect(down.status, down.text).toBe(200);
    expect(down.json).toMatchObject({ progress: { level: 2 }, license: { level: 2 }, consistent: true });
    const actions = await c.query(`SELECT action, source, reason FROM audit_events WHERE user_id = $1 ORDER BY id`, [id]);
    expect(actions.rows).toEqual([
      { action: 'ADVANCE_LICENSE', source: 'API', reason: 'exam passed' },
      { action: 'DEMOTE_LICENSE', source: 'API', reason: 'failed the review' },
    ]);
  });

  it('refuses a stale version (409), an unknown level (400), an unknown learner (404), writing nothing', async () => {
    const id = await insertLearner(c);
    await createPair(c, { userId: id, spec: 'PLAYER', progressLevel: 2 });
    expectProblem(await writesNothing(() => put(id, { level: 3, expectedVersion: 999 })), 409);
    const p = expectProblem(await writesNothing(() => put(id, { level: 99 })), 400);
    expect(p.errors).toEqual([{ path: 'level', message: expect.any(String) }]);
    expectProblem(await writesNothing(() => put(id, { level: 0 })), 400);
    expectProblem(await writesNothing(() => put(id, { level: 3, note: 'x' })), 400);
    expectProblem(await writesNothing(() => put(id, { level: 3, reason: 'r'.repeat(501) })), 400);
    expectProblem(await writesNothing(() => put(999_999, { level: 3 })), 404);
  });
});

describe('the API as a whole', () => {
  it('answers 429 with Retry-After past the rate limit, and writes nothing', async () => {
    const { key, token: limited } = await newKey('rate-limited', ['learners:write']);
    await c.query(`INSERT INTO api_rate_windows (api_key_id, window_start, requests) VALUES ($1, date_trunc('minute', now()), 6000)`, [
      key.id,
    ]);
    const a = await writesNothing(() =>
      call(routes.learners.POST, '/learners', { method: 'POST', token: limited, body: { email: 'r@example.com', name: 'R' } }),
    );
    expectProblem(a, 429);
    expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(a.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // A window that has ended starts over.
    await c.query(`UPDATE api_rate_windows SET window_start = date_trunc('minute', now()) - interval '1 minute' WHERE api_key_id = $1`, [
      key.id,
    ]);
    const b = await call(routes.learners.POST, '/learners', {
      method: 'POST',
      token: limited,
      body: { email: 'r@example.com', name: 'R' },
    });
    expect(b.status, b.text).toBe(201);
    const { rows } = await c.query(`SELECT requests FROM api_rate_windows WHERE api_key_id = $1`, [key.id]);
    expect(rows).toEqual([{ requests: 1 }]);
  });

  it('answers 503 problem+json with Retry-After when the database is down, never a 500', async () => {
    const g = globalThis as unknown as { syncwatchDb?: unknown };
    const real = g.syncwatchDb;
    const dead = createDb('postgresql://nobody:nothing@127.0.0.1:1/none', { poolSize: 1 });
    g.syncwatchDb = dead;
    const logs = captureLogs();
    try {
      const a = await call(routes.learner.GET, '/learners/1', { token, params: { id: '1' } });
      expectProblem(a, 503);
      const failed = { level: 'error', msg: 'api route failed', where: 'GET /api/v1/learners/1' };
      expect(logs.lines()).toContainEqual(expect.objectContaining(failed));
      expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: 'request', path: '/api/v1/learners/1', status: 503 }));
      expect(a.headers.get('retry-after')).toBe('5');
      expect(a.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|nobody/);
    } finally {
      logs.restore();
      g.syncwatchDb = real;
      await dead.$disconnect().catch(() => {});
    }
  });

  it('serves an OpenAPI 3.1 document generated from the handlers\u2019 schemas, without authentication', async () => {
    const res = routes.openapi.GET();
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: boolean }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/learners',
      '/learners/{id}',
      '/learners/{id}/specializations/{specialization}',
      '/learners/{id}/specializations/{specialization}/license',
      '/learners/{id}/specializations/{specialization}/progress',
    ]);
    expect(doc.paths['/learners/{id}/specializations/{specialization}/progress']!.post!.security).toEqual([{ apiKey: ['progress:write'] }]);
    const schemas = doc.components.schemas;
    expect(schemas.RecordProgressRequest).toMatchObject({
      additionalProperties: false,
      properties: { xpGained: { type: 'integer', minimum: 0, maximum: 1_000_000 } },
    });
    expect(schemas.CreateLearnerRequest).toMatchObject({ additionalProperties: false, properties: { name: { maxLength: 200 } } });
    expect(schemas.SetLicenseRequest!.properties).toHaveProperty('level');
    expect(schemas.Problem!.properties).toHaveProperty('errors');
    expect(JSON.stringify(doc)).not.toContain('$schema');
  });

  it('keeps the GET handler free of writes to the domain tables', async () => {
    const id = await insertLearner(c);
    await writesNothing(() => call(routes.learner.GET, `/learners/${id}`, { token, params: { id: String(id) } }));
  });
});
