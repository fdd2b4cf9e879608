import type * as NextAuth from 'next-auth';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobHistory, Trend } from '../../lib/sync';
import { rawClient } from '../support/db';

/**
 * GET /api/dashboard/trend and GET /api/sync-jobs/history, called directly with a Request against
 * this file's real database. Only next-auth's session lookup is replaced; the role is read from
 * the database, as for every route.
 */
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));

const { GET: trendRoute } = await import('../../app/api/dashboard/trend/route');
const { GET: historyRoute } = await import('../../app/api/sync-jobs/history/route');

let c: pg.Client;
const users: Record<'VIEWER' | 'ADMIN' | 'STUDENT', { id: number; email: string }> = {} as never;

beforeAll(async () => {
  c = await rawClient();
  for (const role of ['VIEWER', 'ADMIN', 'STUDENT'] as const) {
    const { rows } = await c.query<{ id: number; email: string }>(
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3::"Role", $4) RETURNING id, email`,
      [`${role.toLowerCase()}@trend.test`, role, role, role === 'STUDENT' ? null : 'unused'],
    );
    users[role] = rows[0]!;
  }
  // Checks an hour apart over the last two days (on the half hour before now), and one finished job 3 hours ago.
  await c.query(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate,
       level_mismatch, missing_license, missing_progress, orphan_progress, orphan_license, by_specialization)
     SELECT now() - interval '30 minutes' - g * interval '1 hour', 1, 100, 99, 0.99, 1, 0, 0, 0, 0, '{}' FROM generate_series(0, 47) g`,
  );
  await c.query(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, synced)
     VALUES ('SUCCEEDED', 'SCHEDULED', 'scheduler', now() - interval '3 hours', now() - interval '3 hours' + interval '2 seconds',
             now() - interval '3 hours', 2000, 5)`,
  );
});
afterAll(async () => {
  session.current = null;
  await c.end();
});
beforeEach(() => {
  session.current = null;
});

const as = (who: keyof typeof users | null) => {
  session.current = who ? { user: { id: String(users[who].id), email: users[who].email } } : null;
};
const routes = [
  ['/api/dashboard/trend', trendRoute],
  ['/api/sync-jobs/history', historyRoute],
] as const;
const get = (route: (r: Request) => Promise<Response>, path: string, query = '') => route(new Request(`http://t.local${path}${query}`));

describe.each(routes)('GET %s', (path, route) => {
  it('refuses the signed-out and students, as every staff route does', async () => {
    for (const who of [null, 'STUDENT'] as const) {
      as(who);
      const res = await get(route, path, '?range=7d');
      expect([401, 403], `${who ?? 'signed out'}`).toContain(res.status);
      expect((await res.json()).error.code).toBe('FORBIDDEN');
    }
  });

  it('answers a VIEWER for every range, and defaults to 24 hours', async () => {
    as('VIEWER');
    for (const range of ['24h', '7d', '30d', '90d']) {
      const res = await get(route, path, `?range=${range}`);
      expect(res.status, range).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect((await res.json()).range).toBe(range);
    }
    const res = await get(route, path);
    expect(res.status).toBe(200);
    expect((await res.json()).range).toBe('24h');
  });

  it('answers a bad range with a 400 VALIDATION error, never a 500', async () => {
    as('ADMIN');
    const bad = [
      '?range=1y',
      '?range=',
      '?range=24H',
      '?range=7d%27%3B%20DROP%20TABLE%20health_checks%3B--',
      '?range=%00',
      '?range=7d&range=30d',
      `?range=${'9'.repeat(5000)}`,
    ];
    for (const query of bad) {
      const res = await get(route, path, query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = await res.json();
      expect(body.error.code, query).toBe('VALIDATION');
      expect(body.error.message).toMatch(/24h, 7d, 30d/);
    }
  });
});

describe('what the routes answer', () => {
  it('the trend: buckets, the checks counted, the job as a marker', async () => {
    as('VIEWER');
    const day = (await (await get(trendRoute, '/api/dashboard/trend', '?range=24h')).json()) as Trend;
    expect(day.checks).toBe(24);
    expect(day.points.every((p) => p.min === 0.99 && p.last === 0.99)).toBe(true);
    expect(day.markers).toEqual([expect.objectContaining({ kind: 'SYNC_JOB', href: expect.stringMatching(/^\/jobs\/\d+$/) })]);
    const week = (await (await get(trendRoute, '/api/dashboard/trend', '?range=7d')).json()) as Trend;
    expect(week.checks).toBe(48);
    // A new check is in the next answer (the cached trend is keyed by what it was read from).
    await c.query(
      `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate,
         level_mismatch, missing_license, missing_progress, orphan_progress, orphan_license, by_specialization)
       VALUES (now(), 1, 100, 50, 0.5, 50, 0, 0, 0, 0, '{}')`,
    );
    const again = (await (await get(trendRoute, '/api/dashboard/trend', '?range=7d')).json()) as Trend;
    expect(again.checks).toBe(49);
    expect(again.points.at(-1)!.min).toBe(0.5);
  });

  it('the job history: the finished job with its duration and repairs', async () => {
    as('VIEWER');
    const body = (await (await get(historyRoute, '/api/sync-jobs/history', '?range=24h')).json()) as JobHistory;
    expect(body).toMatchObject({ range: '24h', total: 1, jobs: [{ status: 'SUCCEEDED', durationMs: 2000, synced: 5, failed: 0 }] });
  });
});
