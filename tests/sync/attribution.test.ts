import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import { parseDesyncQuery } from '../../lib/data/query-params';
import type { Actor } from '../../lib/sync/types';
import { db, rawClient, testDatabaseUrl } from '../support/db';
import { createLearner, createPair, testActor } from '../support/factories';

/**
 * Who caused each desync: the judge at commit names the writer (current_desyncs.caused_by and
 * pair_events), the desync list shows and filters by it, the dashboard counts desyncs per writer,
 * and a learner's history shows the desyncs SyncWatch's own paths caused. This file has its own
 * database; counts are taken from a database-clock mark, so earlier tests do not leak into them.
 */
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));

const { advanceLicense, desyncsByWriter, isSyncError, listDesyncs, listDesyncWriters, listLearnerHistory, recordProgress } =
  await import('../../lib/sync');
const desyncExport = await import('@/app/(dashboard)/desyncs/export/route');

const apiActor: Actor = { label: 'partner-sync', source: 'API' };
let c: pg.Client;
let legacy: pg.Client;
let sqlUser: string;

/**
 * A point on the database's clock, which dates pair events, a few milliseconds clear of the
 * events either side (they are stored to the millisecond, rounded).
 */
async function mark(): Promise<Date> {
  await c.query('SELECT pg_sleep(0.005)');
  const t = (await c.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]!.t;
  await c.query('SELECT pg_sleep(0.005)');
  return t;
}

/**
 * A pair whose license starts in three minutes (within what the database accepts) and is at
 * `licenseLevel`, its progress at level 1: LEVEL_MISMATCH, written by the plain raw client.
 */
async function futureLicensePair(licenseLevel: number): Promise<number> {
  const userId = await createLearner(c);
  await c.query('BEGIN');
  await c.query(
    `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
                 VALUES ($1, 'PLAYER', 1, 100, 1)`,
    [userId],
  );
  await c.query(
    `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
                 VALUES ($1, 'PLAYER', $2, now() + interval '3 minutes')`,
    [userId, licenseLevel],
  );
  await c.query('COMMIT');
  return userId;
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return isSyncError(err) ? err.code : `UNTYPED: ${(err as Error).message}`;
  }
};

beforeAll(async () => {
  c = await rawClient();
  legacy = new pg.Client({ connectionString: testDatabaseUrl, application_name: 'legacy-x' });
  await legacy.connect();
  sqlUser = `sql:${(await c.query<{ u: string }>('SELECT session_user AS u')).rows[0]!.u}`;
  const admin = await db.user.create({
    data: { email: 'attribution-admin@test.local', name: 'Admin', role: 'ADMIN', passwordHash: 'not-used' },
    select: { id: true, email: true },
  });
  session.current = { user: { id: String(admin.id), email: admin.email, role: 'ADMIN' } };
});
afterAll(async () => {
  await legacy.end();
  await c.end();
});

describe('the desync list names who caused each desync', () => {
  let legacyPair: { userId: number; spec: string };
  let recorded: number;
  let advanced: number;

  beforeAll(async () => {
    // A foreign writer: two statements, two commits (MISSING_LICENSE, then LEVEL_MISMATCH).
    legacyPair = await createPair(legacy, { progressLevel: 2, licenseLevel: 1 });
    // SyncWatch's own paths: a coupled write that moves a pair from one kind to another. The
    // license follows the progress level, and still starts in the future: LICENSE_IN_FUTURE.
    recorded = await futureLicensePair(2);
    await recordProgress(db, recorded, 'PLAYER', { xpGained: 10, sessionsCompleted: 0 }, testActor);
    advanced = await futureLicensePair(3);
    await advanceLicense(db, advanced, 'PLAYER', 3, apiActor);
  });

  it('returns causedBy per row and filters by one writer exactly', async () => {
    const all = await listDesyncs(db, { limit: 500 });
    const byUser = new Map(all.items.map((d) => [d.userId, d]));
    expect(byUser.get(legacyPair.userId)).toMatchObject({ kind: 'LEVEL_MISMATCH', causedBy: 'sql:legacy-x' });
    expect(byUser.get(recorded)).toMatchObject({ kind: 'LICENSE_IN_FUTURE', causedBy: testActor.label, progressLevel: 1, licenseLevel: 1 });
    expect(byUser.get(advanced)).toMatchObject({ kind: 'LICENSE_IN_FUTURE', causedBy: 'api:partner-sync', licenseLevel: 3 });

    const legacyOnly = await listDesyncs(db, { causedBy: 'sql:legacy-x' });
    expect(legacyOnly.items.map((d) => [d.userId, d.causedBy])).toEqual([[legacyPair.userId, 'sql:legacy-x']]);
    expect(legacyOnly.total).toBe(1);
    expect((await listDesyncs(db, { causedBy: testActor.label, kind: 'LICENSE_IN_FUTURE' })).items.map((d) => d.userId)).toEqual([
      recorded,
    ]);
    expect((await listDesyncs(db, { causedBy: testActor.label, kind: 'LEVEL_MISMATCH' })).total).toBe(0);
    // Exact, not a pattern: a prefix matches nothing.
    expect((await listDesyncs(db, { causedBy: 'sql:legacy' })).total).toBe(0);
    // Pages by cursor within the filter.
    const first = await listDesyncs(db, { causedBy: 'sql:legacy-x', limit: 1 });
    expect(first.nextCursor).not.toBeNull();
    expect((await listDesyncs(db, { causedBy: 'sql:legacy-x', limit: 1, cursor: first.nextCursor })).items).toEqual([]);
  });

  it('lists the writers present in the set, once each, in order', async () => {
    const writers = await listDesyncWriters(db);
    expect(new Set(writers).size).toBe(writers.length);
    expect(writers).toEqual(expect.arrayContaining(['api:partner-sync', 'sql:legacy-x', testActor.label]));
    const inSet = await c.query<{ w: string }>('SELECT DISTINCT caused_by AS w FROM current_desyncs ORDER BY 1');
    expect(writers).toEqual(inSet.rows.map((r) => r.w));
  });

  it('shows a desync that SyncWatch caused in the learner history, after the write that caused it', async () => {
    const { items, total } = await listLearnerHistory(db, recorded);
    expect(items.map((e) => e.action)).toEqual(['DESYNC_CAUSED', 'RECORD_PROGRESS', 'FOREIGN_WRITE']);
    expect(total).toBe(3);
    expect(items[0]).toMatchObject({
      id: expect.stringMatching(/^event:\d+$/),
      actor: testActor.label,
      source: 'APP',
      origin: 'APP',
      specializationId: 'PLAYER',
      // XP within its level's band moves no verdict, so only the license's write was noted.
      change: { effect: 'CHANGED', kind: 'LICENSE_IN_FUTURE', side: 'license' },
      before: { license: { level: 2, startedAt: expect.any(String) } },
      after: { license: { level: 1, startedAt: expect.any(String) } },
    });
    expect(items[0]!.before).not.toHaveProperty('progress');
    // The plain raw client's write that made the first desync: a foreign write, named by its database user.
    expect(items[2]).toMatchObject({
      actor: sqlUser,
      origin: 'SQL',
      source: 'DATABASE',
      change: { effect: 'BROKE', kind: 'LEVEL_MISMATCH' },
    });
  });

  it('exports the writer as a "Caused by" column and filters the export by it', async () => {
    const { NextRequest } = await import('next/server');
    const res = await desyncExport.GET(new NextRequest('http://test.local/desyncs/export?causedBy=sql%3Alegacy-x'));
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toMatch(/,Caused by$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${legacyPair.userId},.*,LEVEL_MISMATCH,.*,sql:legacy-x$`))]);
  });
});

describe('desyncsByWriter', () => {
  it('counts exactly the desyncs each writer caused (BROKE or CHANGED) since the given time', async () => {
    const since = await mark();
    // legacy-x: breaks a pair (BROKE), changes its kind (CHANGED), fixes it (FIXED: not counted).
    const userId = await createLearner(legacy);
    await legacy.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
                        VALUES ($1, 'COACH', 1, 0, 0)`,
      [userId],
    );
    await legacy.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'COACH', 2, now())`, [
      userId,
    ]);
    await legacy.query(`UPDATE user_licenses SET current_level = 1 WHERE user_id = $1`, [userId]);
    // A consistent pair in one transaction: WRITE events, not counted.
    await legacy.query('BEGIN');
    await createPair(legacy, { spec: 'INTERNSHIP', progressLevel: 2 });
    await legacy.query('COMMIT');
    // The plain client breaks two pairs in one transaction.
    await c.query('BEGIN');
    await createPair(c, { progressLevel: 2, licenseLevel: null });
    await createPair(c, { progressLevel: null, licenseLevel: 3 });
    await c.query('COMMIT');
    const middle = await mark();
    // A coupled write moves a pair to another kind.
    const future = await futureLicensePair(2);
    await recordProgress(db, future, 'PLAYER', { xpGained: 1, sessionsCompleted: 0 }, testActor);

    expect(await desyncsByWriter(db, { since })).toEqual([
      { writer: sqlUser, count: 3 },
      { writer: 'sql:legacy-x', count: 2 },
      { writer: testActor.label, count: 1 },
    ]);
    expect(await desyncsByWriter(db, { since: middle })).toEqual([
      { writer: sqlUser, count: 1 },
      { writer: testActor.label, count: 1 },
    ]);
    expect(await desyncsByWriter(db, { since, limit: 1 })).toEqual([{ writer: sqlUser, count: 3 }]);
    expect(await desyncsByWriter(db, { since: new Date(Date.now() + 3_600_000) })).toEqual([]);
    // The counts agree with the table they come from.
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pair_events WHERE at >= $1 AND effect IN ('BROKE', 'CHANGED')`,
      [since],
    );
    expect(rows[0]!.n).toBe(6);
  });

  it('refuses a since that is not a date and a limit out of range', async () => {
    for (const since of [new Date('nope'), '2026-01-01', 0, null, undefined]) {
      expect(await codeOf(desyncsByWriter(db, { since: since as Date })), String(since)).toBe('VALIDATION');
    }
    expect(await codeOf(desyncsByWriter(db, { since: new Date(), limit: 0 }))).toBe('VALIDATION');
    expect(await codeOf(desyncsByWriter(db, { since: new Date(), limit: 1.5 }))).toBe('VALIDATION');
  });
});

describe('a hostile "Caused by" filter', () => {
  const tenKb = 'x'.repeat(10_240);

  it('the engine refuses what no writer can be named with VALIDATION, and treats the rest as an exact name', async () => {
    for (const v of [tenKb, 'sql:\u0000', '', 42, { $ne: '' }, ['sql:legacy-x'], null]) {
      expect(await codeOf(listDesyncs(db, { causedBy: v as string })), JSON.stringify(v).slice(0, 40)).toBe('VALIDATION');
    }
    const before = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM current_desyncs')).rows[0]!.n;
    for (const v of ["' OR 1=1 --", "'; DROP TABLE current_desyncs; --", '%', 'sql:%', '_', '\\', "sql:legacy-x' OR '1'='1", '<script>']) {
      expect(await listDesyncs(db, { causedBy: v }), v).toMatchObject({ items: [], total: 0 });
    }
    expect((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM current_desyncs')).rows[0]!.n).toBe(before);
  });

  it('the page and the export turn it into a notice and an empty list, never a 500', async () => {
    expect(parseDesyncQuery({ causedBy: tenKb }, ['PLAYER']).invalid).toMatch(/Caused by/);
    expect(parseDesyncQuery({ causedBy: 'a\u0000b' }, ['PLAYER']).invalid).toMatch(/Caused by/);
    const metachars = parseDesyncQuery({ causedBy: "' OR 1=1 --" }, ['PLAYER']);
    expect(metachars.causedBy).toBe("' OR 1=1 --");
    expect(metachars.invalid).toBeUndefined();
    const { NextRequest } = await import('next/server');
    for (const v of [tenKb, "' OR 1=1 --", '%', '=HYPERLINK("http://x")']) {
      const url = new URL('http://test.local/desyncs/export');
      url.searchParams.set('causedBy', v);
      const res = await desyncExport.GET(new NextRequest(url));
      expect(res.status, v.slice(0, 40)).toBe(200);
      expect((await res.text()).trim().split('\n'), v.slice(0, 40)).toHaveLength(1); // the header only
    }
  });
});
