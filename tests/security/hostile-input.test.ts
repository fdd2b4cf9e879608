import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import type pg from 'pg';
import { db, rawClient } from '../support/db';
import { createPair, testActor } from '../support/factories';

/**
 * Every mutation, fed hostile values in every field: each answer is a typed VALIDATION error
 * (or a 4xx from a route handler), nothing is written, nothing is a 500. The caller is a real
 * ADMIN (only the next-auth session lookup is faked), so refusals come from validation, not from
 * authorization.
 */
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));

const { syncPairAction } = await import('@/lib/actions/sync-pair');
const { startSyncJobAction } = await import('@/lib/actions/start-sync-job');
const { runFullAuditAction } = await import('@/lib/actions/run-full-audit');
const { previewSyncAction } = await import('@/lib/actions/preview-sync');
const { cancelSyncJobAction } = await import('@/lib/actions/cancel-sync-job');
const { undoSyncJobAction } = await import('@/lib/actions/undo-sync-job');
const { previewUndoAction } = await import('@/lib/actions/preview-undo');
const {
  recordProgress,
  advanceLicense,
  syncPair,
  listDesyncs,
  isSyncError,
  createLearner,
  enroll,
  demoteLicense,
  listLearners,
  listLearnerHistory,
} = await import('@/lib/sync');
const syncJobRoute = await import('@/app/api/sync-jobs/[id]/route');
const desyncExport = await import('@/app/(dashboard)/desyncs/export/route');

const MB = 'x'.repeat(1 << 20);
/** At least 50 hostile values, of every shape the issue lists. */
export const HOSTILE: [string, unknown][] = [
  ['negative', -1],
  ['negative large', -2_147_483_649],
  ['zero', 0],
  ['negative zero', -0],
  ['fraction', 1.5],
  ['tiny fraction', 1e-9],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['"Infinity"', 'Infinity'],
  ['"NaN"', 'NaN'],
  ['past 2^31', 2 ** 31],
  ['past 2^32', 2 ** 32],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ['past MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 2],
  ['1e308', 1e308],
  ['numeric string', '42'],
  ['hex string', '0x10'],
  ['exponent string', '1e3'],
  ['digits past int', '9'.repeat(400)],
  ['empty string', ''],
  ['blank string', '   '],
  ['1 MB string', MB],
  ['NUL byte', 'a\u0000b'],
  ['only NUL', '\u0000'],
  ['SQL injection', "' OR 1=1 --"],
  ['SQL drop', "'; DROP TABLE users; --"],
  ['SQL comment', '1/*'],
  ['SQL union', '1 UNION SELECT password_hash FROM users'],
  ['script tag', '<script>alert(1)</script>'],
  ['img onerror', '<img src=x onerror=alert(1)>'],
  ['javascript url', 'javascript:alert(1)'],
  ['template', '${process.exit()}'],
  ['formula', '=HYPERLINK("http://x")'],
  ['path traversal', '../../etc/passwd'],
  ['unicode RTL', '\u202egnp.exe'],
  ['emoji', '🧨'],
  ['lower-case enum', 'player'],
  ['unknown enum', 'CHEF'],
  ['enum with NUL', 'PLAYER\u0000'],
  ['enum with space', ' PLAYER '],
  ['null', null],
  ['undefined', undefined],
  ['true', true],
  ['false', false],
  ['empty array', []],
  ['array', [1, 2]],
  ['empty object', {}],
  ['operator object', { $gt: '' }],
  ['proto pollution', JSON.parse('{"__proto__": {"admin": true}}')],
  ['nested', { userId: { userId: 1 } }],
  ['date', new Date()],
  ['function-like string', 'function(){}'],
  ['bigint-like', '12345678901234567890n'],
];

let c: pg.Client;
let pair: { userId: number; spec: string };
let admin: { id: number; email: string };

/** A fingerprint of everything a mutation could write. */
async function fingerprint() {
  const { rows } = await c.query(`
    SELECT (SELECT md5(coalesce(string_agg(p::text, ',' ORDER BY user_id, specialization_id), ''))
            FROM specialization_progress p) AS progress,
           (SELECT md5(coalesce(string_agg(l::text, ',' ORDER BY user_id, specialization_id), '')) FROM user_licenses l) AS licenses,
           (SELECT count(*) FROM sync_jobs) AS jobs,
           (SELECT count(*) FROM health_checks) AS checks,
           (SELECT count(*) FROM audit_events) AS audit`);
  return rows[0];
}

beforeAll(async () => {
  c = await rawClient();
  pair = await createPair(c, { progressLevel: 2, licenseLevel: 1 });
  admin = await db.user.create({
    data: { email: 'hostile-admin@test.local', name: 'Admin', role: 'ADMIN', passwordHash: 'not-used' },
    select: { id: true, email: true },
  });
  session.current = { user: { id: String(admin.id), email: admin.email, role: 'ADMIN' } };
});
afterAll(async () => {
  await c.end();
});

const refusedByEngine = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return isSyncError(err) ? err.code : `UNTYPED: ${(err as Error).message}`;
  }
};

describe('hostile input', () => {
  it(`has at least 50 hostile values (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(50);
  });

  it('server actions refuse every hostile value with VALIDATION and write nothing', async () => {
    const before = await fingerprint();
    // "No input" is exactly what these actions take: nothing, null or {} are their valid calls.
    const noInput = (v: unknown) =>
      v === undefined ||
      v === null ||
      (typeof v === 'object' &&
        !Array.isArray(v) &&
        !(v instanceof Date) &&
        Object.keys(v as object).length === 0 &&
        Object.getPrototypeOf(v) === Object.prototype);
    for (const [name, v] of HOSTILE) {
      const calls: [string, () => Promise<{ ok: boolean; error?: { code: string } }>][] = [
        ['syncPair userId', () => syncPairAction({ userId: v, specializationId: pair.spec })],
        ['syncPair specializationId', () => syncPairAction({ userId: pair.userId, specializationId: v })],
        ['syncPair whole input', () => syncPairAction(v)],
      ];
      // Free text that is a string is a legitimate reason (stored verbatim, see below); the
      // hostile cases are the wrong types, NUL bytes and oversize text.
      if (!noInput(v) && !(typeof v === 'string' && v.length <= 500 && !v.includes('\u0000')))
        calls.push(['startSyncJob reason', () => startSyncJobAction({ reason: v })]);
      // Every field of a scope, the scope itself, and the job ids of cancel and undo.
      // (Any text without NUL up to 320 characters is a writer's name: it just matches nothing.)
      const aWriter = typeof v === 'string' && v.length >= 1 && v.length <= 320 && !v.includes('\u0000');
      for (const key of ['kind', 'specialization', 'causedBy', 'learner', 'pairs']) {
        if (v === undefined || (key === 'causedBy' && aWriter)) continue;
        calls.push([`startSyncJob scope.${key}`, () => startSyncJobAction({ scope: { [key]: v } })]);
        calls.push([`previewSync scope.${key}`, () => previewSyncAction({ scope: { [key]: v } })]);
      }
      if (v !== undefined && (typeof v !== 'string' || v.length > 200 || v.includes('\u0000'))) {
        calls.push(['previewSync scope.search', () => previewSyncAction({ scope: { search: v } })]);
      }
      if (!noInput(v)) calls.push(['startSyncJob scope', () => startSyncJobAction({ scope: v })]);
      calls.push(['cancelSyncJob jobId', () => cancelSyncJobAction({ jobId: v })]);
      calls.push(['cancelSyncJob whole input', () => cancelSyncJobAction(v)]);
      calls.push(['undoSyncJob jobId', () => undoSyncJobAction({ jobId: v, reason: 'hostile' })]);
      calls.push(['previewUndo jobId', () => previewUndoAction({ jobId: v })]);
      if (typeof v !== 'string' || v.length > 500 || v.includes('\u0000') || !v.trim()) {
        calls.push(['undoSyncJob reason', () => undoSyncJobAction({ jobId: 1, reason: v })]);
      }
      if (!noInput(v)) {
        calls.push(['startSyncJob whole input', () => startSyncJobAction(v)]);
        calls.push(['runFullAudit input', () => runFullAuditAction(v)]);
        calls.push(['previewSync input', () => previewSyncAction(v)]);
      }
      for (const [call, run] of calls) {
        const result = await run();
        expect(result.ok, `${call} <- ${name} was accepted`).toBe(false);
        expect(result.error?.code, `${call} <- ${name}`).toBe('VALIDATION');
      }
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('extra fields are refused', async () => {
    expect(await syncPairAction({ userId: pair.userId, specializationId: pair.spec, role: 'ADMIN' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    });
    expect(await startSyncJobAction({ reason: 'ok', dryRun: false })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await runFullAuditAction({ force: true })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await startSyncJobAction({ scope: { kind: 'LEVEL_MISMATCH', all: true } })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    });
    expect(await cancelSyncJobAction({ jobId: 1, force: true })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await undoSyncJobAction({ jobId: 1, reason: 'r', items: [] })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    // An undo needs a reason.
    expect(await undoSyncJobAction({ jobId: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await undoSyncJobAction({ jobId: 1, reason: '   ' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('the engine refuses every hostile value with a typed error and writes nothing', async () => {
    const before = await fingerprint();
    const accepted: string[] = [];
    for (const [name, v] of HOSTILE) {
      const n = v as number;
      const cases: [string, () => Promise<unknown>][] = [
        // The other field is 0, so a call is only valid if the hostile value were a real gain.
        ['recordProgress xpGained', () => recordProgress(db, pair.userId, pair.spec, { xpGained: n, sessionsCompleted: 0 }, testActor)],
        [
          'recordProgress sessionsCompleted',
          () => recordProgress(db, pair.userId, pair.spec, { xpGained: 0, sessionsCompleted: n }, testActor),
        ],
        ['recordProgress userId', () => recordProgress(db, n, pair.spec, { xpGained: 1, sessionsCompleted: 1 }, testActor)],
        [
          'recordProgress specialization',
          () => recordProgress(db, pair.userId, v as string, { xpGained: 1, sessionsCompleted: 1 }, testActor),
        ],
        [
          'recordProgress expectedVersion',
          () => recordProgress(db, pair.userId, pair.spec, { xpGained: 0, sessionsCompleted: 0, expectedVersion: n }, testActor),
        ],
        ['advanceLicense targetLevel', () => advanceLicense(db, pair.userId, pair.spec, n, testActor)],
        ['advanceLicense userId', () => advanceLicense(db, n, pair.spec, 2, testActor)],
        ['syncPair userId', () => syncPair(db, n, pair.spec, testActor)],
        ['syncPair specialization', () => syncPair(db, pair.userId, v as string, testActor)],
        ['listDesyncs kind', () => listDesyncs(db, { kind: v as never })],
        ['listDesyncs limit', () => listDesyncs(db, { limit: n })],
        ['listDesyncs cursor', () => listDesyncs(db, { cursor: v as string })],
        ['createLearner email', () => createLearner(db, { email: v as string, name: 'Hostile' }, testActor)],
        ['enroll userId', () => enroll(db, n, 'COACH', testActor)],
        ['enroll specialization', () => enroll(db, pair.userId, v as string, testActor)],
        ['demoteLicense targetLevel', () => demoteLicense(db, pair.userId, pair.spec, n, testActor, 'hostile')],
        ['demoteLicense userId', () => demoteLicense(db, n, pair.spec, 1, testActor, 'hostile')],
        ['listLearners limit', () => listLearners(db, { limit: n })],
        ['listLearnerHistory userId', () => listLearnerHistory(db, n)],
      ];
      for (const [call, run] of cases) {
        const outcome = await refusedByEngine(run());
        if (outcome === 'accepted') {
          accepted.push(`${call} <- ${name}`);
          // Only values that really are valid may pass: a missing optional field, or a number
          // that is in range for the field (e.g. targetLevel 2 is not hostile).
          expect(`${call} <- ${name}`).toMatch(
            /expectedVersion <- undefined|list(Desyncs|Learners) (kind|limit|cursor) <- (undefined|null)|<- (numeric string|empty string)$|listDesyncs cursor <- /,
          );
          continue;
        }
        expect(['VALIDATION', 'NOT_FOUND'], `${call} <- ${name}: ${outcome}`).toContain(outcome);
      }
    }
    // advanceLicense/recordProgress with a valid-looking value may not have been hostile; the
    // pair must still be untouched because every accepted case above was a read.
    const after = await fingerprint();
    expect({ ...after, accepted }).toEqual({ ...before, accepted });
  });

  it('route handlers answer 4xx (never 500) to hostile parameters', async () => {
    for (const [name, v] of HOSTILE) {
      const text = typeof v === 'string' ? v.slice(0, 5000) : (JSON.stringify(v) ?? 'undefined');
      const t0 = Date.now();
      const job = await syncJobRoute.GET(new Request('http://test.local/api/sync-jobs/x'), { params: Promise.resolve({ id: text }) });
      expect(job.status, `sync-jobs/${name}`).toBeGreaterThanOrEqual(400);
      expect(job.status, `sync-jobs/${name}`).toBeLessThan(500);
      const url = new URL('http://test.local/desyncs/export');
      for (const p of ['kind', 'specialization', 'search', 'page']) url.searchParams.set(p, text.replaceAll('\u0000', ''));
      const { NextRequest } = await import('next/server');
      const csv = await desyncExport.GET(new NextRequest(url));
      expect(csv.status, `desyncs/export ${name}`).toBeLessThan(500);
      await csv.text();
      if (Date.now() - t0 > 2000) console.warn('slow route handler for', name, Date.now() - t0);
    }
  });
  it('hostile free text is stored verbatim, never interpreted', async () => {
    const reason = "'; DROP TABLE users; -- <script>alert(1)</script> =SUM(A1)";
    await db.syncJob.updateMany({ where: { status: 'RUNNING' }, data: { status: 'FAILED', finishedAt: new Date() } });
    const result = await startSyncJobAction({ reason });
    expect(result).toMatchObject({ ok: true });
    const job = await db.syncJob.findFirstOrThrow({ where: { reason }, orderBy: { id: 'desc' } });
    expect(job.reason).toBe(reason);
    expect(await db.user.count()).toBeGreaterThan(0);
  });
});
