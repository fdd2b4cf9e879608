import type pg from 'pg';
import { expect } from 'vitest';
import { createApiKey } from '../../lib/api/keys';
import type { ApiScope } from '../../lib/vocabulary';
import { db } from '../support/db';

/**
 * Calls the /api/v1 route handlers directly, with a Request, as Next.js would; the handlers run
 * against this test file's database (tests/support/db.ts puts its client where getDb() finds it).
 */

type Handler = (request: Request, context?: { params: Promise<never> }) => Promise<Response>;

export const routes = {
  learners: await import('../../app/api/v1/learners/route'),
  learner: await import('../../app/api/v1/learners/[id]/route'),
  enroll: await import('../../app/api/v1/learners/[id]/specializations/[specialization]/route'),
  progress: await import('../../app/api/v1/learners/[id]/specializations/[specialization]/progress/route'),
  license: await import('../../app/api/v1/learners/[id]/specializations/[specialization]/license/route'),
  openapi: await import('../../app/api/v1/openapi.json/route'),
};

export interface CallOptions {
  method?: string;
  token?: string | null;
  params?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (no content type unless given in headers). */
  rawBody?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(handler: unknown, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set('authorization', `Bearer ${opts.token}`);
  if (opts.idempotencyKey !== undefined) headers.set('idempotency-key', opts.idempotencyKey);
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const request = new Request(`http://localhost/api/v1${path}`, { method: opts.method ?? 'GET', headers, body });
  const res = await (handler as Handler)(request, { params: Promise.resolve(opts.params ?? {}) as Promise<never> });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The pair routes' path and params for a learner id (as text: any string a client might send). */
export const pairPath = (id: number | string, spec: string, tail = '') => ({
  path: `/learners/${id}/specializations/${spec}${tail}`,
  params: { id: String(id), specialization: spec },
});

export async function newKey(name: string, scopes: ApiScope[]) {
  return createApiKey(db, { name, scopes }, { label: 'tests', source: 'CLI' });
}

/** An RFC 9457 problem of this status, as application/problem+json. */
export function expectProblem(
  a: Answer,
  status: number,
): { type: string; title: string; status: number; detail: string; errors?: unknown[] } {
  expect(a.status, a.text).toBe(status);
  expect(a.headers.get('content-type')).toBe('application/problem+json');
  const p = a.json as { type: string; title: string; status: number; detail: string; errors?: unknown[] };
  expect(p).toMatchObject({ type: expect.stringMatching(/^urn:syncwatch:problem:[a-z-]+$/), title: expect.any(String), status });
  expect(typeof p.detail).toBe('string');
  expect(Object.keys(p).every((k) => ['type', 'title', 'status', 'detail', 'errors'].includes(k))).toBe(true);
  return p;
}

/** What a write could have changed: compared before and after a refused request. */
export async function domainSnapshot(c: pg.Client) {
  const { rows } = await c.query(`
    SELECT (SELECT count(*) FROM users)::int AS users,
           (SELECT coalesce(json_agg(p ORDER BY user_id, specialization_id), '[]') FROM specialization_progress p) AS progress,
           (SELECT coalesce(json_agg(l ORDER BY user_id, specialization_id), '[]') FROM user_licenses l) AS licenses,
           (SELECT count(*) FROM audit_events WHERE action NOT IN ('API_KEY_CREATED', 'API_KEY_REVOKED'))::int AS audit,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency`);
  return rows[0] as Record<string, unknown>;
}
