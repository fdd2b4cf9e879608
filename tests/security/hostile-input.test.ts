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
const { acknowledgeIncidentAction } = await import('@/lib/actions/acknowledge-incident');
const { addChannelAction } = await import('@/lib/actions/add-channel');
const { removeChannelAction } = await import('@/lib/actions/remove-channel');
const { sendTestNotificationAction } = await import('@/lib/actions/send-test-notification');
const { addMaintenanceWindowAction } = await import('@/lib/actions/add-maintenance-window');
const { endMaintenanceWindowAction } = await import('@/lib/actions/end-maintenance-window');
const deliveryRoute = await import('@/app/api/notifications/deliveries/[id]/route');
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

  describe('alerts', () => {
    /** Everything the alert actions could write (the sync job an earlier test started may still be writing its own audit events). */
    const alertsFingerprint = async () =>
      (
        await c.query(
          `
          SELECT (SELECT count(*) FROM notification_channels)::int AS channels,
                 (SELECT count(*) FROM maintenance_windows)::int AS windows,
                 (SELECT count(*) FROM deliveries)::int AS deliveries,
                 (SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY id), '')) FROM incidents i) AS incidents,
                 (SELECT count(*) FROM incident_events)::int AS events,
                 (SELECT count(*) FROM audit_events WHERE action = ANY($1))::int AS audit`,
          [['INCIDENT_ACKNOWLEDGED', 'CHANNEL_ADDED', 'CHANNEL_REMOVED', 'CHANNEL_TESTED', 'MAINTENANCE_STARTED', 'MAINTENANCE_ENDED']],
        )
      ).rows[0];
    const soon = () => new Date(Date.now() + 3_600_000).toISOString();
    // What the engine accepts in a field, so that only the hostile values are expected refused.
    const aName = (v: unknown) =>
      typeof v === 'string' && v.trim().length >= 1 && v.trim().length <= 100 && /^[\p{L}\p{N} ._-]+$/u.test(v.trim());
    const aSecret = (v: unknown) =>
      v === null || v === undefined || (typeof v === 'string' && v.length >= 16 && v.length <= 256 && !v.includes('\u0000'));
    const aText = (v: unknown) => typeof v === 'string' && !!v.trim() && v.trim().length <= 500 && !v.includes('\u0000');
    type Result = { ok: boolean; error?: { code: string } };

    it('alert actions refuse every hostile value with VALIDATION (an unknown but valid name: NOT_FOUND), writing nothing', async () => {
      const before = await alertsFingerprint();
      for (const [name, v] of HOSTILE) {
        const calls: [string, () => Promise<Result>, ('VALIDATION' | 'NOT_FOUND')[]][] = [
          ['acknowledge id', () => acknowledgeIncidentAction({ id: v, note: 'hostile' }), ['VALIDATION']],
          ['acknowledge whole input', () => acknowledgeIncidentAction(v), ['VALIDATION']],
          ['addChannel kind', () => addChannelAction({ kind: v, name: 'hostile', target: 'hostile@example.com' }), ['VALIDATION']],
          ['addChannel webhook target', () => addChannelAction({ kind: 'WEBHOOK', name: 'hostile', target: v }), ['VALIDATION']],
          ['addChannel slack target', () => addChannelAction({ kind: 'SLACK', name: 'hostile', target: v }), ['VALIDATION']],
          ['addChannel email target', () => addChannelAction({ kind: 'EMAIL', name: 'hostile', target: v }), ['VALIDATION']],
          ['addChannel whole input', () => addChannelAction(v), ['VALIDATION']],
          ['endMaintenanceWindow id', () => endMaintenanceWindowAction({ id: v }), ['VALIDATION']],
          ['endMaintenanceWindow whole input', () => endMaintenanceWindowAction(v), ['VALIDATION']],
          ['addMaintenanceWindow until', () => addMaintenanceWindowAction({ until: v, reason: 'hostile' }), ['VALIDATION']],
          ['addMaintenanceWindow whole input', () => addMaintenanceWindowAction(v), ['VALIDATION']],
        ];
        const named = aName(v) ? (['NOT_FOUND'] as const) : (['VALIDATION'] as const);
        calls.push(['removeChannel name', () => removeChannelAction({ name: v }), [...named]]);
        calls.push(['sendTestNotification name', () => sendTestNotificationAction({ name: v }), [...named]]);
        calls.push(['removeChannel whole input', () => removeChannelAction(v), ['VALIDATION']]);
        calls.push(['sendTestNotification whole input', () => sendTestNotificationAction(v), ['VALIDATION']]);
        if (!aText(v)) {
          calls.push(['acknowledge note', () => acknowledgeIncidentAction({ id: 2_000_000_000, note: v }), ['VALIDATION']]);
          calls.push(['addMaintenanceWindow reason', () => addMaintenanceWindowAction({ until: soon(), reason: v }), ['VALIDATION']]);
        }
        if (!aName(v))
          calls.push(['addChannel name', () => addChannelAction({ kind: 'EMAIL', name: v, target: 'a@example.com' }), ['VALIDATION']]);
        if (!aSecret(v)) {
          calls.push([
            'addChannel secret',
            () => addChannelAction({ kind: 'WEBHOOK', name: 'hostile', target: 'http://127.0.0.1:9/hook', secret: v }),
            ['VALIDATION'],
          ]);
        }
        if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
          const input = { kind: 'EMAIL', name: 'hostile', target: 'a@example.com', conditions: v };
          calls.push(['addChannel conditions', () => addChannelAction(input), ['VALIDATION']]);
          calls.push([
            'mute conditions',
            () => addMaintenanceWindowAction({ until: soon(), reason: 'hostile', conditions: v }),
            ['VALIDATION'],
          ]);
        }
        for (const [call, run, codes] of calls) {
          const result = await run();
          expect(result.ok, `${call} <- ${name} was accepted`).toBe(false);
          expect(codes, `${call} <- ${name}: ${result.error?.code}`).toContain(result.error?.code);
        }
        const text = typeof v === 'string' ? v.slice(0, 5000) : (JSON.stringify(v) ?? 'undefined');
        const res = await deliveryRoute.GET(new Request('http://test.local/api/notifications/deliveries/x'), {
          params: Promise.resolve({ id: text }),
        });
        expect(res.status, `deliveries/${name}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `deliveries/${name}`).toBeLessThan(500);
      }
      expect(await alertsFingerprint()).toEqual(before);
    });

    it.each([
      ['file:', 'file:///etc/passwd'],
      ['ftp:', 'ftp://example.com/hook'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/plain,hello'],
      ['gopher:', 'gopher://example.com/'],
      ['no scheme', 'example.com/hook'],
      ['scheme only', 'https://'],
      ['very long', `https://example.com/${'a'.repeat(3000)}`],
      ['credentials', 'https://user:password@example.com/hook'],
      ['loopback (private networks not allowed)', 'http://127.0.0.1:9/hook'],
      ['IPv6 loopback', 'http://[::1]:9/hook'],
      ['private network', 'http://10.1.2.3/hook'],
      ['link-local metadata', 'http://169.254.169.254/latest/meta-data/'],
      ['unspecified', 'http://0.0.0.0/hook'],
      ['multicast', 'http://224.0.0.1/hook'],
      ['a host that does not resolve', 'https://no-such-host.invalid/hook'],
    ])('a webhook or Slack URL that is %s is refused with VALIDATION, saving nothing', async (_what, url) => {
      const before = await alertsFingerprint();
      for (const kind of ['WEBHOOK', 'SLACK']) {
        const result = await addChannelAction({
          kind,
          name: 'hostile url',
          target: url,
          ...(kind === 'WEBHOOK' ? { secret: 'x'.repeat(16) } : {}),
        });
        expect(result, `${kind} ${url.slice(0, 60)}`).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      }
      expect(await alertsFingerprint()).toEqual(before);
    });

    it('addresses that are not addresses, secrets where they do not belong, bad dates and unknown conditions are refused', async () => {
      const before = await alertsFingerprint();
      const refused: [string, () => Promise<Result>][] = [
        ...[
          'not-an-address',
          'a@',
          '@example.com',
          'a b@example.com',
          'a@b',
          '<script>@x.y',
          'a@example.com\nBcc: x@y.z',
          `${'a'.repeat(3000)}@x.y`,
        ].map((target): [string, () => Promise<Result>] => [
          `email ${target.slice(0, 30)}`,
          () => addChannelAction({ kind: 'EMAIL', name: 'hostile', target }),
        ]),
        [
          'email with a secret',
          () => addChannelAction({ kind: 'EMAIL', name: 'hostile', target: 'a@example.com', secret: 'x'.repeat(20) }),
        ],
        [
          'slack with a secret',
          () => addChannelAction({ kind: 'SLACK', name: 'hostile', target: 'https://example.com/x', secret: 'x'.repeat(20) }),
        ],
        ['short secret', () => addChannelAction({ kind: 'WEBHOOK', name: 'hostile', target: 'https://example.com/x', secret: 'short' })],
        ['unknown condition', () => addChannelAction({ kind: 'EMAIL', name: 'hostile', target: 'a@example.com', conditions: ['CHEF'] })],
        [
          'lower-case condition',
          () => addChannelAction({ kind: 'EMAIL', name: 'hostile', target: 'a@example.com', conditions: ['sync_overdue'] }),
        ],
        ['extra field', () => addChannelAction({ kind: 'EMAIL', name: 'hostile', target: 'a@example.com', createdBy: 'root' })],
        ['mute unknown condition', () => addMaintenanceWindowAction({ until: soon(), reason: 'r', conditions: ['CHEF'] })],
        ...['tomorrow', 'not a date', '2020-01-01T00:00:00Z', '2999-01-01T00:00:00Z', '', '   ', '2026-13-45T99:99:99Z'].map(
          (until): [string, () => Promise<Result>] => [`mute until ${until}`, () => addMaintenanceWindowAction({ until, reason: 'r' })],
        ),
        [
          'mute 31 days ahead',
          () => addMaintenanceWindowAction({ until: new Date(Date.now() + 31 * 86_400_000).toISOString(), reason: 'r' }),
        ],
        ['mute without a reason', () => addMaintenanceWindowAction({ until: soon() })],
        ['mute with a blank reason', () => addMaintenanceWindowAction({ until: soon(), reason: '   ' })],
        ['mute extra field', () => addMaintenanceWindowAction({ until: soon(), reason: 'r', startsAt: new Date(0).toISOString() })],
        ['acknowledge without a note', () => acknowledgeIncidentAction({ id: 1 })],
        ['acknowledge a blank note', () => acknowledgeIncidentAction({ id: 1, note: '  ' })],
        ['acknowledge a 501-character note', () => acknowledgeIncidentAction({ id: 1, note: 'x'.repeat(501) })],
      ];
      for (const [what, run] of refused) expect(await run(), what).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      expect(await alertsFingerprint()).toEqual(before);
    });

    it('hostile free text in a channel name, a reason or a note is refused or stored verbatim, never interpreted', async () => {
      const reason = "'; DROP TABLE users; -- <script>alert(1)</script> =SUM(A1)";
      const mute = await addMaintenanceWindowAction({ until: soon(), reason });
      expect(mute).toMatchObject({ ok: true, window: { reason } });
      expect((await db.maintenanceWindow.findFirstOrThrow({ where: { reason } })).reason).toBe(reason);
      const added = await addChannelAction({ kind: 'EMAIL', name: 'Ops . on_call-1', target: 'ops@example.com' });
      expect(added).toMatchObject({ ok: true, channel: { name: 'Ops . on_call-1', target: 'ops@example.com', hasSecret: false } });
      expect(await removeChannelAction({ name: 'Ops . on_call-1' })).toEqual({ ok: true });
      expect(await db.user.count()).toBeGreaterThan(0);
    });
  });
});
