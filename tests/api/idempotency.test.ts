import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, pruneIdempotencyKeys, requestHash } from '../../lib/api/idempotency';
import { db, rawClient } from '../support/db';
import { captureLogs } from '../support/logs';
import { createLearner as insertLearner, readPairRaw } from '../support/factories';
import { call, domainSnapshot, expectProblem, newKey, pairPath, routes } from './v1-client';

/**
 * Idempotency-Key on the write API: concurrent duplicates apply once and all get the same
 * answer, a retry replays, a reused key with another request is refused, an error stores
 * nothing, and a failure between the engine's write and the stored answer applies nothing (the
 * claim, the write and the answer commit together).
 */

let c: pg.Client;
let token: string;
let apiKeyId: number;

beforeAll(async () => {
  c = await rawClient();
  const k = await newKey('idempotent-client', ['learners:write', 'progress:write', 'licenses:write']);
  token = k.token;
  apiKeyId = k.key.id;
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, specialization_progress, user_licenses, idempotency_keys, api_rate_windows`);
  await c.query(`DELETE FROM audit_events WHERE action NOT IN ('API_KEY_CREATED', 'API_KEY_REVOKED')`);
});

function progress(id: number, body: unknown, idempotencyKey?: string, spec = 'PLAYER') {
  const { path, params } = pairPath(id, spec, '/progress');
  return call(routes.progress.POST, path, { method: 'POST', token, params, body, idempotencyKey });
}

const recordedProgress = async (id: number) =>
  (await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'RECORD_PROGRESS' AND user_id = $1`, [id])).rows[0].n;

describe('Idempotency-Key', () => {
  it('applies 50 concurrent identical requests once, and all 50 get the same answer', async () => {
    const id = await insertLearner(c);
    const body = { xpGained: 120, sessionsCompleted: 2 };
    const answers = await Promise.all(Array.from({ length: 50 }, () => progress(id, body, 'progress-once')));
    for (const a of answers) expect(a.status, a.text).toBe(200);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    const replayed = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(49);
    expect((await readPairRaw(c, id, 'PLAYER')).progress).toMatchObject({ total_xp: 120, completed_sessions: 2 });
    expect(await recordedProgress(id)).toBe(1);
    const { rows } = await c.query(`SELECT method, path, response_status, completed_at IS NOT NULL AS done FROM idempotency_keys`);
    expect(rows).toEqual([
      { method: 'POST', path: `/api/v1/learners/${id}/specializations/PLAYER/progress`, response_status: 200, done: true },
    ]);
  });

  it('replays a retry after success with the stored status and body, and applies nothing', async () => {
    const created = await call(routes.learners.POST, '/learners', {
      method: 'POST',
      token,
      idempotencyKey: 'create-ada',
      body: { email: 'ada@example.com', name: 'Ada' },
    });
    expect(created.status).toBe(201);
    const before = await domainSnapshot(c);
    // The same body with its keys in another order is the same request.
    const retry = await call(routes.learners.POST, '/learners', {
      method: 'POST',
      token,
      idempotencyKey: 'create-ada',
      body: { name: 'Ada', email: 'ada@example.com' },
    });
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(created.text);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('content-type')).toBe('application/json');
    expect(created.headers.get('idempotent-replayed')).toBeNull();
    expect(await domainSnapshot(c)).toEqual(before);
  });

  it('refuses the same key with another body, path or method: 422, nothing applied', async () => {
    const id = await insertLearner(c);
    expect((await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'k-1')).status).toBe(200);
    const before = await domainSnapshot(c);
    expect(expectProblem(await progress(id, { xpGained: 11, sessionsCompleted: 1 }, 'k-1'), 422).type).toBe(
      'urn:syncwatch:problem:idempotency-mismatch',
    );
    expectProblem(await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'k-1', 'COACH'), 422);
    const { path, params } = pairPath(id, 'PLAYER', '/license');
    expectProblem(await call(routes.license.PUT, path, { method: 'PUT', token, params, body: { level: 2 }, idempotencyKey: 'k-1' }), 422);
    expect(await domainSnapshot(c)).toEqual(before);
  });

  it('keys belong to one API key: another key may use the same value', async () => {
    const other = await newKey(`other-${Date.now()}`, ['progress:write']);
    const id = await insertLearner(c);
    expect((await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'shared')).status).toBe(200);
    const { path, params } = pairPath(id, 'PLAYER', '/progress');
    const a = await call(routes.progress.POST, path, {
      method: 'POST',
      token: other.token,
      params,
      body: { xpGained: 10, sessionsCompleted: 1 },
      idempotencyKey: 'shared',
    });
    expect(a.status).toBe(200);
    expect(a.headers.get('idempotent-replayed')).toBeNull();
    expect((await readPairRaw(c, id, 'PLAYER')).progress).toMatchObject({ total_xp: 20 });
  });

  it('applies two concurrent first progresses (different keys) of each of 50 learners with no rows', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 50; i++) ids.push(await insertLearner(c, `First ${i}`));
    const answers = await Promise.all(
      ids.flatMap((id) => [
        progress(id, { xpGained: 30, sessionsCompleted: 1 }, `a-${id}`),
        progress(id, { xpGained: 12, sessionsCompleted: 2 }, `b-${id}`),
      ]),
    );
    for (const a of answers) expect(a.status, a.text).toBe(200);
    const { rows } = await c.query(
      `SELECT p.user_id, p.total_xp, p.completed_sessions, p.current_level = l.current_level AS agree
       FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id) WHERE p.user_id = ANY($1)`,
      [ids],
    );
    expect(rows).toHaveLength(50);
    for (const r of rows) expect(r).toMatchObject({ total_xp: 42, completed_sessions: 3, agree: true });
    const events = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'RECORD_PROGRESS' AND user_id = ANY($1)`, [
      ids,
    ]);
    expect(events.rows[0].n).toBe(100);
  });

  it('without a key, every request applies (the client asked for no protection)', async () => {
    const id = await insertLearner(c);
    await progress(id, { xpGained: 10, sessionsCompleted: 1 });
    await progress(id, { xpGained: 10, sessionsCompleted: 1 });
    expect((await readPairRaw(c, id, 'PLAYER')).progress).toMatchObject({ total_xp: 20 });
    expect(await c.query(`SELECT 1 FROM idempotency_keys`)).toMatchObject({ rowCount: 0 });
  });

  it('refuses an invalid key with 400 before doing anything', async () => {
    const id = await insertLearner(c);
    for (const key of ['', 'x'.repeat(201), 'tab\there', 'caf\u00e9']) {
      const before = await domainSnapshot(c);
      const p = expectProblem(await progress(id, { xpGained: 10, sessionsCompleted: 1 }, key), 400);
      expect(p.errors).toEqual(expect.arrayContaining([{ path: 'Idempotency-Key', message: expect.any(String) }]));
      expect(await domainSnapshot(c)).toEqual(before);
    }
    expect((await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'x'.repeat(200))).status).toBe(200);
  });

  it('stores no error: a refused request leaves no row, and the key can then be used', async () => {
    const id = await insertLearner(c);
    expectProblem(await progress(999_999, { xpGained: 10, sessionsCompleted: 1 }, 'after-error'), 404);
    expectProblem(await progress(id, { xpGained: 0, sessionsCompleted: 0 }, 'after-error'), 400);
    expect(await c.query(`SELECT 1 FROM idempotency_keys`)).toMatchObject({ rowCount: 0 });
    expect((await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'after-error')).status).toBe(200);
  });

  it('makes a duplicate wait for the request in flight, then answer 409 if it does not finish', async () => {
    const id = await insertLearner(c);
    const body = { xpGained: 10, sessionsCompleted: 1 };
    const path = `/api/v1/learners/${id}/specializations/PLAYER/progress`;
    const holder = await rawClient();
    try {
      // Another instance holds the key: its claim is inserted and not yet committed.
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO idempotency_keys (api_key_id, key, method, path, request_hash) VALUES ($1, 'held', 'POST', $2, $3)`, [
        apiKeyId,
        path,
        requestHash('POST', path, body),
      ]);
      const started = Date.now();
      const p = expectProblem(await progress(id, body, 'held'), 409);
      expect(p.type).toBe('urn:syncwatch:problem:in-progress');
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
      // The holder crashed: its claim is gone with its transaction, and the retry applies.
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    const retry = await progress(id, body, 'held');
    expect(retry.status, retry.text).toBe(200);
    expect(await recordedProgress(id)).toBe(1);
  });

  it('applies nothing when storing the answer fails after the engine wrote: the retry applies once', async () => {
    const id = await insertLearner(c);
    // A failure at the last step (as a crash there would be): storing the answer is refused.
    await c.query(`CREATE FUNCTION fail_store() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated crash before the answer is stored'; END $$`);
    await c.query(`CREATE TRIGGER fail_store BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION fail_store()`);
    const logs = captureLogs();
    try {
      const before = await domainSnapshot(c);
      expectProblem(await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'crash'), 503);
      expect(await domainSnapshot(c)).toEqual(before);
      expect(logs.lines().some((l) => l.level === 'error' && l.msg === 'api route failed')).toBe(true);
    } finally {
      logs.restore();
      await c.query(`DROP TRIGGER fail_store ON idempotency_keys; DROP FUNCTION fail_store()`);
    }
    const retry = await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'crash');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await readPairRaw(c, id, 'PLAYER')).progress).toMatchObject({ total_xp: 10 });
    expect(await recordedProgress(id)).toBe(1);
  });

  it('replays an enrolment with its 201 and a license change with its 200', async () => {
    const id = await insertLearner(c);
    const e = pairPath(id, 'COACH');
    const first = await call(routes.enroll.POST, e.path, { method: 'POST', token, params: e.params, idempotencyKey: 'enroll' });
    const again = await call(routes.enroll.POST, e.path, { method: 'POST', token, params: e.params, idempotencyKey: 'enroll' });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.text).toBe(first.text);
    const expectedVersion = (first.json as { license: { version: number } }).license.version;
    const l = pairPath(id, 'COACH', '/license');
    const body = { level: 3, expectedVersion };
    const up = () => call(routes.license.PUT, l.path, { method: 'PUT', token, params: l.params, body, idempotencyKey: 'up' });
    const [u1, u2] = [await up(), await up()];
    expect([u1.status, u2.status]).toEqual([200, 200]);
    expect(u2.headers.get('idempotent-replayed')).toBe('true');
    expect(u2.text).toBe(u1.text);
    const events = await c.query(`SELECT action FROM audit_events WHERE user_id = $1 ORDER BY id`, [id]);
    expect(events.rows.map((r) => r.action)).toEqual(['ENROLL', 'ADVANCE_LICENSE']);
  });

  it('hashes a canonical body, and prunes keys older than the cutoff', async () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: 'x' })).toBe('{"a":"x","b":[2,{"c":null,"d":1}]}');
    expect(requestHash('post', '/p', { a: 1, b: 2 })).toBe(requestHash('POST', '/p', { b: 2, a: 1 }));
    expect(requestHash('POST', '/p', { a: 1 })).not.toBe(requestHash('PUT', '/p', { a: 1 }));
    const id = await insertLearner(c);
    await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'old');
    await progress(id, { xpGained: 10, sessionsCompleted: 1 }, 'new');
    await c.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'`);
    expect(await pruneIdempotencyKeys(db, new Date(Date.now() - 24 * 3_600_000))).toBe(1);
    expect((await c.query(`SELECT key FROM idempotency_keys`)).rows).toEqual([{ key: 'new' }]);
  });
});
