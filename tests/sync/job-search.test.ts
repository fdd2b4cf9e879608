import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import { db, rawClient } from '../support/db';

/**
 * "Find anything": the filters of the sync-job history (listSyncJobs), of one job's items
 * (listSyncJobItems) and of the audit log (listAuditEvents), the learner search by id, email or
 * name, inclusive day ranges, paging totals, hostile input, and the audit log's CSV export.
 * Everything is inserted by SQL with fixed times, so every expected list is known exactly.
 */
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));
vi.mock('next/headers', () => ({ headers: async () => new Headers(), cookies: async () => ({ get: () => undefined, getAll: () => [] }) }));

const { listSyncJobs, listSyncJobItems, listAuditEvents, isSyncError } = await import('@/lib/sync');
const { MAX_LEARNER_MATCHES } = await import('@/lib/sync/search-filters');
const { listSyncJobActors } = await import('@/lib/sync/job-search');
const auditExport = await import('@/app/(dashboard)/audit/export/route');
const jobsExport = await import('@/app/(dashboard)/jobs/export/route');

let c: pg.Client;
const L: Record<'ada' | 'bob' | 'cy' | 'dee' | 'bulk', number> = { ada: 0, bob: 0, cy: 0, dee: 0, bulk: 0 };
const J: Record<'j1' | 'j2' | 'j3' | 'j4' | 'j5', number> = { j1: 0, j2: 0, j3: 0, j4: 0, j5: 0 };
const staff: Record<'ADMIN' | 'STUDENT', { id: number; email: string }> = { ADMIN: { id: 0, email: '' }, STUDENT: { id: 0, email: '' } };

async function learner(email: string, name: string, role = 'STUDENT'): Promise<number> {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO users (email, name, role, password_hash)
     VALUES ($1, $2, $3::"Role", CASE WHEN $3 = 'STUDENT' THEN NULL ELSE 'unused' END) RETURNING id`,
    [email, name, role],
  );
  return rows[0]!.id;
}

async function job(status: string, trigger: string, actor: string, startedAt: string): Promise<number> {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, cancelled_by)
     VALUES ($1::"SyncJobStatus", $2::"SyncTrigger", $3, $4, $4::timestamptz + interval '1 second', $4, $5) RETURNING id`,
    [status, trigger, actor, startedAt, status === 'CANCELLED' ? actor : null],
  );
  return rows[0]!.id;
}

async function item(jobId: number, userId: number, outcome: string, kind = 'LEVEL_MISMATCH') {
  await c.query(
    `INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, after, outcome)
     VALUES ($1, $2, 'PLAYER', $3::"DesyncKind", '{"progressLevel":2,"licenseLevel":3}', '{"progressLevel":3,"licenseLevel":3}',
             $4::"SyncItemOutcome")`,
    [jobId, userId, kind, outcome],
  );
}

async function event(at: string, actor: string, action: string, userId: number | null) {
  await c.query(
    `INSERT INTO audit_events (at, actor, action, source, user_id, specialization_id) VALUES ($1, $2, $3, 'APP', $4, 'PLAYER')`,
    [at, actor, action, userId],
  );
}

const ids = (r: { items: { id: number | string }[] }) => r.items.map((x) => Number(x.id));
const day = (d: string) => new Date(`${d}T00:00:00Z`);

beforeAll(async () => {
  c = await rawClient();
  L.ada = await learner('ada.percent@search.test', 'Ada 100% Lovelace');
  L.bob = await learner('bob_under@search.test', 'Bob Under_score');
  L.cy = await learner('cy.back@search.test', 'Cy Back\\slash');
  L.dee = await learner('dee@search.test', 'Dee Nobody');
  L.bulk = await learner('bulk@search.test', 'Bulk Paging');
  staff.ADMIN = { id: await learner('admin@search.test', 'Search Admin', 'ADMIN'), email: 'admin@search.test' };
  staff.STUDENT = { id: L.dee, email: 'dee@search.test' };

  // Day boundaries on purpose: the first and last millisecond of 2026-03-01.
  J.j1 = await job('SUCCEEDED', 'SCHEDULED', 'scheduler', '2026-03-01T00:00:00.000Z');
  J.j2 = await job('PARTIAL', 'MANUAL', 'admin@search.test', '2026-03-01T23:59:59.999Z');
  J.j3 = await job('CANCELLED', 'MANUAL', 'admin@search.test', '2026-03-02T12:00:00.000Z');
  J.j4 = await job('SUCCEEDED', 'UNDO', 'admin@search.test', '2026-03-03T00:00:00.000Z');
  J.j5 = await job('FAILED', 'SCHEDULED', 'scheduler', '2026-03-04T10:00:00.000Z');
  await item(J.j1, L.ada, 'SYNCED');
  await item(J.j1, L.bob, 'FAILED', 'MISSING_LICENSE');
  await item(J.j2, L.bob, 'SKIPPED');
  await item(J.j3, L.cy, 'SYNCED');
  await item(J.j3, L.ada, 'REPORTED', 'ORPHAN_PROGRESS');
  await item(J.j4, L.ada, 'CONFLICT');
  // 60 older jobs by "bulk" for paging, each touching the bulk learner; one big job of 120 items.
  for (let i = 0; i < 60; i++) {
    const id = await job('SUCCEEDED', 'SCHEDULED', 'bulk', `2026-02-01T00:${String(i).padStart(2, '0')}:00Z`);
    await item(id, L.bulk, 'SYNCED');
  }
  await c.query(
    `INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, outcome)
     SELECT $1, $2, 'COACH', 'LEVEL_MISMATCH', '{}', (ARRAY['SYNCED','FAILED','SKIPPED'])[1 + g % 3]::"SyncItemOutcome"
     FROM generate_series(0, 119) g`,
    [J.j5, L.bulk],
  );

  await event('2026-03-01T00:00:00.000Z', 'admin@search.test', 'SYNC_PAIR', L.ada);
  await event('2026-03-01T23:59:59.999Z', 'scheduler', 'SYNC_JOB_REPAIR', L.bob);
  await event('2026-03-02T00:00:00.000Z', 'admin@search.test', 'DEMOTE_LICENSE', L.cy);
  await event('2026-03-05T08:00:00.000Z', 'cli', 'FULL_AUDIT', null);
  await c.query(
    `INSERT INTO audit_events (at, actor, action, source, user_id)
     SELECT '2026-02-10T00:00:00Z'::timestamptz + g * interval '1 minute', 'bulk', 'RECORD_PROGRESS', 'APP', $1
     FROM generate_series(0, 59) g`,
    [L.bulk],
  );
});
afterAll(async () => {
  session.current = null;
  await c.end();
});

/** Hostile free text, for every text parameter. */
const MB = 'x'.repeat(1 << 20);
const texts = ["' OR 1=1 --", "'; DROP TABLE sync_jobs; --", '%', '_', '\\', '%_\\', 'a\u0000b', '\u0000', '🧨', '<script>', '1e3', '0x10'];

/** The SyncError code a call failed with, 'ok' when it did not fail, or the untyped error (a bug). */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isSyncError(err) ? err.code : `UNTYPED ${String(err)}`;
  }
}

describe('listSyncJobs', () => {
  const mine = { from: day('2026-03-01'), before: day('2026-03-05') };

  it('filters by status (CANCELLED too), trigger (UNDO too) and exact actor', async () => {
    expect(ids(await listSyncJobs(db, { ...mine, status: 'CANCELLED' }))).toEqual([J.j3]);
    expect(ids(await listSyncJobs(db, { ...mine, status: 'SUCCEEDED' }))).toEqual([J.j4, J.j1]);
    expect(ids(await listSyncJobs(db, { ...mine, trigger: 'UNDO' }))).toEqual([J.j4]);
    expect(ids(await listSyncJobs(db, { ...mine, trigger: 'MANUAL' }))).toEqual([J.j3, J.j2]);
    expect(ids(await listSyncJobs(db, { actor: 'scheduler' }))).toEqual([J.j5, J.j1]);
    // Exact, not a search.
    expect((await listSyncJobs(db, { actor: 'admin' })).total).toBe(0);
    expect((await listSyncJobs(db, { actor: 'SCHEDULER' })).total).toBe(0);
    expect(await listSyncJobActors(db)).toEqual(['admin@search.test', 'bulk', 'scheduler']);
  });

  it('takes a range of instants, from inclusive, before exclusive: whole days stay whole', async () => {
    const march1 = await listSyncJobs(db, { from: day('2026-03-01'), before: day('2026-03-02') });
    expect(ids(march1)).toEqual([J.j2, J.j1]); // both the first and the last millisecond of the day
    expect(ids(await listSyncJobs(db, { from: day('2026-03-02') }))).toEqual([J.j5, J.j4, J.j3]);
    expect(
      ids(await listSyncJobs(db, { before: new Date('2026-03-01T00:00:00.001Z'), trigger: 'SCHEDULED', status: 'SUCCEEDED' })).slice(0, 1),
    ).toEqual([J.j1]);
    // A reversed range is valid input that matches nothing.
    expect(await listSyncJobs(db, { from: day('2026-03-05'), before: day('2026-03-01') })).toMatchObject({ items: [], total: 0 });
  });

  it('finds every job that touched a learner, by id, #id, email or name', async () => {
    expect(ids(await listSyncJobs(db, { learner: String(L.ada) }))).toEqual([J.j4, J.j3, J.j1]);
    expect(ids(await listSyncJobs(db, { learner: `#${L.bob}` }))).toEqual([J.j2, J.j1]);
    expect(ids(await listSyncJobs(db, { learner: 'CY.BACK@' }))).toEqual([J.j3]);
    expect(ids(await listSyncJobs(db, { learner: '  lovelace ' }))).toEqual([J.j4, J.j3, J.j1]);
    expect((await listSyncJobs(db, { learner: String(L.dee) })).total).toBe(0);
    expect((await listSyncJobs(db, { learner: 'nobody at all' })).total).toBe(0);
  });

  it('escapes LIKE wildcards: %, _ and \\ mean themselves', async () => {
    expect(ids(await listSyncJobs(db, { learner: '100%' }))).toEqual([J.j4, J.j3, J.j1]);
    expect(ids(await listSyncJobs(db, { learner: '%' }))).toEqual([J.j4, J.j3, J.j1]);
    expect(ids(await listSyncJobs(db, { learner: '_' }))).toEqual([J.j2, J.j1]);
    expect(ids(await listSyncJobs(db, { learner: '\\' }))).toEqual([J.j3]);
    expect((await listSyncJobs(db, { learner: '%%%' })).total).toBe(0);
  });

  it('combines filters, and pages with the total of all pages', async () => {
    expect(ids(await listSyncJobs(db, { learner: 'ada', trigger: 'MANUAL', status: 'CANCELLED', actor: 'admin@search.test' }))).toEqual([
      J.j3,
    ]);
    expect(ids(await listSyncJobs(db, { learner: 'ada', from: day('2026-03-02'), before: day('2026-03-03') }))).toEqual([J.j3]);
    const first = await listSyncJobs(db, { actor: 'bulk', limit: 25 });
    const last = await listSyncJobs(db, { actor: 'bulk', limit: 25, offset: 50 });
    expect([first.total, first.items.length, last.total, last.items.length]).toEqual([60, 25, 60, 10]);
    expect((await listSyncJobs(db, { learner: 'bulk paging', offset: 40, limit: 50 })).items).toHaveLength(21); // 60 + the big job
    expect((await listSyncJobs(db, { actor: 'bulk', offset: 1_000_000 })).items).toEqual([]);
  });

  it('searches at most MAX_LEARNER_MATCHES learners, and says so', async () => {
    await c.query(
      `INSERT INTO users (email, name) SELECT 'cap' || g || '@cap.test', 'Capmark ' || g FROM generate_series(1, $1::int + 1) g`,
      [MAX_LEARNER_MATCHES],
    );
    const { rows } = await c.query<{ id: number }>(`SELECT max(id) AS id FROM users WHERE name LIKE 'Capmark %'`);
    const jobOfLast = await job('SUCCEEDED', 'MANUAL', 'capper', '2026-01-01T00:00:00Z');
    await item(jobOfLast, rows[0]!.id, 'SYNCED');
    expect(await listSyncJobs(db, { learner: 'capmark' })).toMatchObject({ total: 0, learnersCapped: true });
    expect(await listSyncJobs(db, { learner: String(rows[0]!.id) })).toMatchObject({ total: 1, learnersCapped: false });
  });
});

describe('listSyncJobItems', () => {
  it('filters a job’s items by outcome (CONFLICT too), kind and learner, combined, with totals', async () => {
    expect((await listSyncJobItems(db, J.j1)).total).toBe(2);
    expect((await listSyncJobItems(db, J.j1, { outcome: 'FAILED' })).items.map((i) => i.userId)).toEqual([L.bob]);
    expect((await listSyncJobItems(db, J.j4, { outcome: 'CONFLICT' })).total).toBe(1);
    expect((await listSyncJobItems(db, J.j3, { kind: 'ORPHAN_PROGRESS' })).items.map((i) => i.userId)).toEqual([L.ada]);
    expect((await listSyncJobItems(db, J.j3, { learner: 'back\\' })).items.map((i) => i.userId)).toEqual([L.cy]);
    expect((await listSyncJobItems(db, J.j3, { learner: String(L.ada) })).items[0]).toMatchObject({ email: 'ada.percent@search.test' });
    expect((await listSyncJobItems(db, J.j1, { learner: '_', kind: 'MISSING_LICENSE', outcome: 'FAILED' })).total).toBe(1);
    expect((await listSyncJobItems(db, J.j1, { learner: '_', outcome: 'SYNCED' })).total).toBe(0);
    expect((await listSyncJobItems(db, J.j2, { learner: 'ada' })).total).toBe(0);
  });

  it('pages a big job in item order, by learner too', async () => {
    const all = await listSyncJobItems(db, J.j5, { limit: 50, offset: 100 });
    expect([all.total, all.items.length]).toEqual([120, 20]);
    const failed = await listSyncJobItems(db, J.j5, { outcome: 'FAILED', limit: 30 });
    expect([failed.total, failed.items.length]).toEqual([40, 30]);
    const byLearner = await listSyncJobItems(db, J.j5, { learner: 'bulk', limit: 50, offset: 50 });
    const plain = await listSyncJobItems(db, J.j5, { limit: 50, offset: 50 });
    expect(byLearner.total).toBe(120);
    expect(byLearner.items.map((i) => i.id)).toEqual(plain.items.map((i) => i.id));
    const skipped = await listSyncJobItems(db, J.j5, { learner: String(L.bulk), outcome: 'SKIPPED', limit: 10, offset: 35 });
    expect([skipped.total, skipped.items.length]).toEqual([40, 5]);
  });
});

describe('listAuditEvents', () => {
  it('filters by learner (id, email, name, escaped wildcards), date range (inclusive days) and both', async () => {
    const at = (r: Awaited<ReturnType<typeof listAuditEvents>>) => r.items.map((e) => e.action);
    expect(at(await listAuditEvents(db, { learner: String(L.ada) }))).toEqual(['SYNC_PAIR']);
    expect(at(await listAuditEvents(db, { learner: 'BOB_' }))).toEqual(['SYNC_JOB_REPAIR']);
    expect(at(await listAuditEvents(db, { learner: '\\slash' }))).toEqual(['DEMOTE_LICENSE']);
    expect(at(await listAuditEvents(db, { from: day('2026-03-01'), before: day('2026-03-02') }))).toEqual(['SYNC_JOB_REPAIR', 'SYNC_PAIR']);
    expect(at(await listAuditEvents(db, { from: day('2026-03-02'), before: day('2026-03-06') }))).toEqual(['FULL_AUDIT', 'DEMOTE_LICENSE']);
    expect(at(await listAuditEvents(db, { learner: 'search.test', from: day('2026-03-01'), before: day('2026-03-02') }))).toEqual([
      'SYNC_JOB_REPAIR',
      'SYNC_PAIR',
    ]);
    expect(at(await listAuditEvents(db, { learner: 'search.test', actor: 'admin@search.test', action: 'DEMOTE_LICENSE' }))).toEqual([
      'DEMOTE_LICENSE',
    ]);
    expect((await listAuditEvents(db, { learner: String(L.dee) })).total).toBe(0);
    expect((await listAuditEvents(db, { from: day('2026-03-06'), before: day('2026-03-01') })).total).toBe(0);
  });

  it('pages by offset with totals, and by keyset (the export) without', async () => {
    const page2 = await listAuditEvents(db, { learner: 'bulk paging', limit: 25, offset: 25 });
    expect([page2.total, page2.items.length]).toEqual([60, 25]);
    const last = await listAuditEvents(db, { learner: 'bulk paging', limit: 25, offset: 50 });
    expect(last.items).toHaveLength(10);
    const keyset = await listAuditEvents(db, {
      learner: 'bulk paging',
      limit: 25,
      after: { at: page2.items[24]!.at, id: page2.items[24]!.id },
    });
    expect(keyset.items.map((e) => e.id)).toEqual(last.items.map((e) => e.id));
    expect(keyset.total).toBe(-1);
    const plain = await listAuditEvents(db, { actor: 'bulk', limit: 25, after: { at: page2.items[24]!.at, id: page2.items[24]!.id } });
    expect(plain.items.map((e) => e.id)).toEqual(last.items.map((e) => e.id));
  });
});

describe('hostile input', () => {
  it('free text never crashes: a learner search is a search, whatever it holds', async () => {
    for (const t of [...texts, 'x'.repeat(10_000), '-1', '0', '#0', '99999999999', '2147483648', '9'.repeat(400), ' ']) {
      for (const call of [
        listSyncJobs(db, { learner: t }),
        listSyncJobItems(db, J.j1, { learner: t }),
        listAuditEvents(db, { learner: t }),
      ]) {
        expect(await outcome(call), JSON.stringify(t.slice(0, 20))).toBe('ok');
      }
    }
    expect((await listSyncJobs(db, { learner: "' OR 1=1 --" })).total).toBe(0);
    expect((await listSyncJobs(db, { learner: '99999999999' })).total).toBe(0);
    expect(await c.query('SELECT count(*) FROM sync_jobs').then((r) => Number(r.rows[0].count))).toBeGreaterThan(60);
  });

  it('refuses malformed options with a typed VALIDATION, never an untyped error', async () => {
    const bad: [string, () => Promise<unknown>][] = [
      ['1 MB learner', () => listSyncJobs(db, { learner: MB })],
      ['unknown status', () => listSyncJobs(db, { status: 'NOPE' as never })],
      ['lower-case status', () => listSyncJobs(db, { status: 'cancelled' as never })],
      ['unknown trigger', () => listSyncJobs(db, { trigger: "MANUAL' --" as never })],
      ['NUL actor', () => listSyncJobs(db, { actor: 'a\u0000b' })],
      ['empty actor', () => listSyncJobs(db, { actor: '' })],
      ['huge actor', () => listSyncJobs(db, { actor: MB })],
      ['invalid date', () => listSyncJobs(db, { from: new Date('nope') })],
      ['year 275760', () => listSyncJobs(db, { before: new Date(8.64e15) })],
      ['date as string', () => listSyncJobs(db, { from: '2026-03-01' as never })],
      ['negative offset', () => listSyncJobs(db, { offset: -1 })],
      ['NaN limit', () => listSyncJobs(db, { limit: Number.NaN })],
      ['limit past max', () => listSyncJobs(db, { limit: 501 })],
      ['Infinity offset', () => listSyncJobs(db, { offset: Number.POSITIVE_INFINITY })],
      ['unknown option', () => listSyncJobs(db, { learnerId: 1 } as never)],
      ['learner as number', () => listSyncJobs(db, { learner: 42 as never })],
      ['item job NaN', () => listSyncJobItems(db, Number.NaN)],
      ['item job -1', () => listSyncJobItems(db, -1)],
      ['item job 1.5', () => listSyncJobItems(db, 1.5)],
      ['item job 2^31', () => listSyncJobItems(db, 2 ** 31)],
      ['unknown outcome', () => listSyncJobItems(db, J.j1, { outcome: 'DONE' as never })],
      ['unknown kind', () => listSyncJobItems(db, J.j1, { kind: 'ORPHAN' as never })],
      ['items limit 1001', () => listSyncJobItems(db, J.j1, { limit: 1001 })],
      ['audit NUL action', () => listAuditEvents(db, { action: '\u0000' })],
      ['audit huge actor', () => listAuditEvents(db, { actor: MB })],
      ['audit invalid date', () => listAuditEvents(db, { before: new Date(Number.NaN) })],
      ['audit year 1000', () => listAuditEvents(db, { from: new Date('1000-01-01T00:00:00Z') })],
      ['audit bad keyset id', () => listAuditEvents(db, { after: { at: new Date(), id: '-1' } })],
      ['audit keyset overflow', () => listAuditEvents(db, { after: { at: new Date(), id: '9'.repeat(30) } })],
      ['audit unknown option', () => listAuditEvents(db, { userId: 1 } as never)],
    ];
    for (const [name, call] of bad) expect(await outcome(call()), name).toBe('VALIDATION');
    // A job that does not exist has no items; a reversed range has no events.
    expect(await listSyncJobItems(db, 2_000_000_000)).toMatchObject({ items: [], total: 0 });
  });
});

describe('CSV exports of the filtered views', () => {
  const as = (who: 'ADMIN' | 'STUDENT' | null) => {
    const u = who ? staff[who] : null;
    session.current = u && who ? { user: { id: String(u.id), email: u.email, role: who } } : null;
  };
  const rows = async (res: Response) => (await res.text()).trim().split('\n');

  it('the audit export refuses a request without a staff session', async () => {
    as(null);
    expect([401, 403]).toContain((await auditExport.GET(new Request('http://t.local/audit/export'))).status);
    as('STUDENT');
    expect((await auditExport.GET(new Request('http://t.local/audit/export'))).status).toBe(403);
  });

  it('exports exactly the filtered audit events and jobs, and survives hostile parameters', async () => {
    as('ADMIN');
    const audit = await auditExport.GET(new Request(`http://t.local/audit/export?learner=${L.bob}&from=2026-03-01&to=2026-03-01`));
    expect(audit.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = await rows(audit);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('SYNC_JOB_REPAIR');
    const bulk = await rows(await auditExport.GET(new Request('http://t.local/audit/export?actor=bulk')));
    expect(bulk).toHaveLength(61); // keyset batches of the 60 events
    const jobs = await rows(await jobsExport.GET(new Request('http://t.local/jobs/export?learner=lovelace&trigger=MANUAL')));
    expect(jobs.map((l) => l.split(',')[0])).toEqual(['Job ID', String(J.j3)]);
    expect(await rows(await jobsExport.GET(new Request('http://t.local/jobs/export?status=NOPE')))).toHaveLength(1);
    for (const v of [...texts, MB.slice(0, 5000), '2026-13-45', '-1', 'NaN']) {
      const q = new URLSearchParams();
      for (const k of ['status', 'trigger', 'actor', 'action', 'learner', 'from', 'to', 'page']) q.set(k, v.replaceAll('\u0000', ''));
      for (const route of [auditExport, jobsExport]) {
        const res = await route.GET(new Request(`http://t.local/x?${q}`));
        expect(res.status, v.slice(0, 20)).toBe(200);
        await res.text();
      }
    }
  });
});
