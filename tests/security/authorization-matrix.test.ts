import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import { db } from '../support/db';

/**
 * The authorization matrix: every identity against every server action, route handler and page.
 * Only the next-auth session lookup is faked (it stands for a signed, unexpired token); roles
 * come from the real database, so "ADMIN demoted to VIEWER with a still-valid token" is a token
 * that says ADMIN for a user the database now knows as VIEWER.
 */
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/headers', () => ({ headers: async () => new Headers(), cookies: async () => ({ get: () => undefined, getAll: () => [] }) }));

const { NextRequest } = await import('next/server');

type Identity = 'signed-out' | 'STUDENT' | 'VIEWER' | 'ADMIN' | 'demoted ADMIN';
const IDENTITIES: Identity[] = ['signed-out', 'STUDENT', 'VIEWER', 'ADMIN', 'demoted ADMIN'];
const users = new Map<Identity, { id: number; email: string; tokenRole: string }>();

async function as(identity: Identity) {
  const u = users.get(identity);
  session.current = u ? { user: { id: String(u.id), email: u.email, role: u.tokenRole } } : null;
}

beforeAll(async () => {
  process.env.MONITOR_TOKEN = 'matrix-monitor-token-0123456789';
  const make = async (identity: Identity, role: 'STUDENT' | 'VIEWER' | 'ADMIN', tokenRole: string) => {
    const u = await db.user.create({
      data: {
        email: `${identity.replace(/\W/g, '-')}@matrix.test`,
        name: identity,
        role,
        passwordHash: role === 'STUDENT' ? null : 'unused',
      },
      select: { id: true, email: true },
    });
    users.set(identity, { ...u, tokenRole });
  };
  await make('STUDENT', 'STUDENT', 'STUDENT');
  await make('VIEWER', 'VIEWER', 'VIEWER');
  await make('ADMIN', 'ADMIN', 'ADMIN');
  await make('demoted ADMIN', 'ADMIN', 'ADMIN');
  // Demoted after signing in: the token still says ADMIN.
  await db.user.update({ where: { id: users.get('demoted ADMIN')!.id }, data: { role: 'VIEWER' } });
});
afterAll(() => {
  session.current = null;
});

const ADMIN_ONLY = new Set<Identity>(['ADMIN']);
const STAFF = new Set<Identity>(['VIEWER', 'ADMIN', 'demoted ADMIN']);

describe.each(IDENTITIES)('%s', (identity) => {
  it('server actions: only an ADMIN may run them; every refusal is audited', async () => {
    const actions = {
      syncPair: (await import('@/lib/actions/sync-pair')).syncPairAction,
      startSyncJob: (await import('@/lib/actions/start-sync-job')).startSyncJobAction,
      runFullAudit: (await import('@/lib/actions/run-full-audit')).runFullAuditAction,
      previewSync: (await import('@/lib/actions/preview-sync')).previewSyncAction,
      enroll: (await import('@/lib/actions/enroll')).enrollAction,
      recordProgress: (await import('@/lib/actions/record-progress')).recordProgressAction,
      advanceLicense: (await import('@/lib/actions/advance-license')).advanceLicenseAction,
      demoteLicense: (await import('@/lib/actions/demote-license')).demoteLicenseAction,
      createApiKey: (await import('@/lib/actions/create-api-key')).createApiKeyAction,
      revokeApiKey: (await import('@/lib/actions/revoke-api-key')).revokeApiKeyAction,
      cancelSyncJob: (await import('@/lib/actions/cancel-sync-job')).cancelSyncJobAction,
      undoSyncJob: (await import('@/lib/actions/undo-sync-job')).undoSyncJobAction,
      previewUndo: (await import('@/lib/actions/preview-undo')).previewUndoAction,
      previewScopedSync: (await import('@/lib/actions/preview-sync')).previewSyncAction,
      acknowledgeIncident: (await import('@/lib/actions/acknowledge-incident')).acknowledgeIncidentAction,
      addChannel: (await import('@/lib/actions/add-channel')).addChannelAction,
      removeChannel: (await import('@/lib/actions/remove-channel')).removeChannelAction,
      sendTestNotification: (await import('@/lib/actions/send-test-notification')).sendTestNotificationAction,
      addMaintenanceWindow: (await import('@/lib/actions/add-maintenance-window')).addMaintenanceWindowAction,
      endMaintenanceWindow: (await import('@/lib/actions/end-maintenance-window')).endMaintenanceWindowAction,
      addStaff: (await import('@/lib/actions/add-staff')).addStaffAction,
      setStaffRole: (await import('@/lib/actions/set-staff-role')).setStaffRoleAction,
      disableStaff: (await import('@/lib/actions/disable-staff')).disableStaffAction,
      enableStaff: (await import('@/lib/actions/enable-staff')).enableStaffAction,
      resetStaffPassword: (await import('@/lib/actions/reset-staff-password')).resetStaffPasswordAction,
    };
    // The learner actions name a learner that does not exist: an ADMIN gets NOT_FOUND.
    const nobody = 2_000_000_000;
    const inputs: Record<keyof typeof actions, unknown> = {
      syncPair: { userId: users.get('VIEWER')!.id, specializationId: 'PLAYER' },
      startSyncJob: { reason: 'matrix' },
      runFullAudit: undefined,
      previewSync: undefined,
      enroll: { userId: nobody, specializationId: 'PLAYER' },
      recordProgress: { userId: nobody, specializationId: 'PLAYER', xpGained: 10, sessionsCompleted: 1 },
      advanceLicense: { userId: nobody, specializationId: 'PLAYER', targetLevel: 2, reason: 'matrix' },
      demoteLicense: { userId: nobody, specializationId: 'PLAYER', targetLevel: 1, reason: 'matrix' },
      createApiKey: { name: `matrix-${identity.replace(/\W+/g, '-')}-${Date.now()}`, scopes: ['learners:read'] },
      // A key that does not exist: an ADMIN gets NOT_FOUND.
      revokeApiKey: { name: 'no-such-key' },
      // Jobs that do not exist: an ADMIN gets NOT_FOUND.
      cancelSyncJob: { jobId: nobody },
      undoSyncJob: { jobId: nobody, reason: 'matrix' },
      previewUndo: { jobId: nobody },
      previewScopedSync: { scope: { kind: 'LEVEL_MISMATCH', specialization: 'PLAYER' } },
      // An incident, a channel and a window that do not exist: an ADMIN gets NOT_FOUND.
      acknowledgeIncident: { id: nobody, note: 'matrix' },
      // An email channel: no address to resolve.
      addChannel: { kind: 'EMAIL', name: `matrix ${identity.replace(/\W+/g, '-')} ${Date.now()}`, target: 'matrix@example.com' },
      removeChannel: { name: 'no-such-channel' },
      sendTestNotification: { name: 'no-such-channel' },
      addMaintenanceWindow: { until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'matrix' },
      endMaintenanceWindow: { id: nobody },
      // A new VIEWER (an ADMIN adds it); staff accounts that do not exist: an ADMIN gets NOT_FOUND.
      addStaff: {
        email: `added-${identity.replace(/\W+/g, '-')}-${Date.now()}@matrix.test`,
        name: 'Added',
        role: 'VIEWER',
        generate: true,
      },
      setStaffRole: { email: 'no-such-staff@matrix.test', role: 'ADMIN' },
      disableStaff: { email: 'no-such-staff@matrix.test' },
      enableStaff: { email: 'no-such-staff@matrix.test' },
      resetStaffPassword: { email: 'no-such-staff@matrix.test', generate: true },
    };
    for (const [name, action] of Object.entries(actions) as [
      keyof typeof actions,
      (i: unknown) => Promise<{ ok: boolean; error?: { code: string } }>,
    ][]) {
      await as(identity);
      const denialsBefore = await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } });
      const result = await action(inputs[name]);
      if (ADMIN_ONLY.has(identity)) {
        // Allowed: any answer but FORBIDDEN (syncPair's pair does not exist: NOT_FOUND).
        expect(result.error?.code, `${identity} ${name}`).not.toBe('FORBIDDEN');
      } else {
        expect(result, `${identity} ${name}`).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
        expect(await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } })).toBe(denialsBefore + 1);
      }
      await db.syncJob.updateMany({ where: { status: 'RUNNING' }, data: { status: 'FAILED', finishedAt: new Date() } });
    }
  });

  it('change-own-password: any staff member (VIEWER included) may run it; others are refused and audited', async () => {
    const { changeOwnPasswordAction } = await import('@/lib/actions/change-own-password');
    await as(identity);
    const denialsBefore = await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } });
    // The stored hash is not a real one: a staff member gets VALIDATION (the current password is not correct).
    const result = await changeOwnPasswordAction({ currentPassword: 'wrong', newPassword: 'matrix new password 123' });
    if (STAFF.has(identity)) expect(result, `${identity} changeOwnPassword`).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    else {
      expect(result, `${identity} changeOwnPassword`).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } })).toBe(denialsBefore + 1);
    }
  });

  it('route handlers: staff may read; others get 401/403', async () => {
    const routes: [string, () => Promise<Response>][] = [
      ['/api/dashboard', async () => (await import('@/app/api/dashboard/route')).GET(new Request('http://t.local/api/dashboard'))],
      [
        '/api/sync-jobs/running',
        async () => (await import('@/app/api/sync-jobs/running/route')).GET(new Request('http://t.local/api/sync-jobs/running')),
      ],
      [
        '/api/sync-jobs/1',
        async () =>
          (await import('@/app/api/sync-jobs/[id]/route')).GET(new Request('http://t.local/api/sync-jobs/1'), {
            params: Promise.resolve({ id: '1' }),
          }),
      ],
      [
        '/desyncs/export',
        async () => (await import('@/app/(dashboard)/desyncs/export/route')).GET(new NextRequest('http://t.local/desyncs/export')),
      ],
      ['/jobs/export', async () => (await import('@/app/(dashboard)/jobs/export/route')).GET(new Request('http://t.local/jobs/export'))],
      ['/audit/export', async () => (await import('@/app/(dashboard)/audit/export/route')).GET(new Request('http://t.local/audit/export'))],
      [
        '/api/health/integrity',
        async () => (await import('@/app/api/health/integrity/route')).GET(new Request('http://t.local/api/health/integrity')),
      ],
      ['/api/metrics', async () => (await import('@/app/api/metrics/route')).GET(new Request('http://t.local/api/metrics'))],
      ['/api/session', async () => (await import('@/app/api/session/route')).GET(new Request('http://t.local/api/session'))],
      [
        '/api/dashboard/trend',
        async () => (await import('@/app/api/dashboard/trend/route')).GET(new Request('http://t.local/api/dashboard/trend?range=30d')),
      ],
      [
        '/api/sync-jobs/history',
        async () => (await import('@/app/api/sync-jobs/history/route')).GET(new Request('http://t.local/api/sync-jobs/history?range=7d')),
      ],
    ];
    routes.push([
      '/api/incidents/open',
      async () => (await import('@/app/api/incidents/open/route')).GET(new Request('http://t.local/api/incidents/open')),
    ]);
    for (const [path, call] of routes) {
      await as(identity);
      const res = await call();
      await res.text();
      if (STAFF.has(identity)) expect([200, 404], `${identity} GET ${path}`).toContain(res.status);
      else expect([401, 403], `${identity} GET ${path}`).toContain(res.status);
    }
    // ADMIN only: a delivery's outcome ("Send test" follows it).
    await as(identity);
    const denialsBefore = await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } });
    const delivery = await (
      await import('@/app/api/notifications/deliveries/[id]/route')
    ).GET(new Request('http://t.local/api/notifications/deliveries/1'), { params: Promise.resolve({ id: '1' }) });
    await delivery.text();
    if (ADMIN_ONLY.has(identity)) expect(delivery.status, `${identity} GET /api/notifications/deliveries/1`).toBe(404);
    else {
      expect([401, 403], `${identity} GET /api/notifications/deliveries/1`).toContain(delivery.status);
      expect(await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } })).toBe(denialsBefore + 1);
    }
    await as(identity);
    const health = await (await import('@/app/api/health/route')).GET();
    expect(health.status).toBe(200); // liveness: no authentication, no figures
  });

  it('pages: staff see them; others are sent to /login', async () => {
    const pages: [string, () => Promise<unknown>][] = [
      // The dashboard authorizes inside the component its <Suspense> streams: render that one.
      [
        '/',
        async () => {
          const page = (await import('@/app/(dashboard)/page')).default() as { props: { children: { type: () => Promise<unknown> } } };
          return page.props.children.type();
        },
      ],
      ['/desyncs', async () => (await import('@/app/(dashboard)/desyncs/page')).default({ searchParams: Promise.resolve({}) } as never)],
      ['/jobs', async () => (await import('@/app/(dashboard)/jobs/page')).default({ searchParams: Promise.resolve({}) } as never)],
      [
        '/jobs/1',
        async () =>
          (await import('@/app/(dashboard)/jobs/[id]/page')).default({
            params: Promise.resolve({ id: '1' }),
            searchParams: Promise.resolve({}),
          } as never),
      ],
      ['/audit', async () => (await import('@/app/(dashboard)/audit/page')).default({ searchParams: Promise.resolve({}) } as never)],
      ['/learners', async () => (await import('@/app/(dashboard)/learners/page')).default({ searchParams: Promise.resolve({}) } as never)],
      [
        '/incidents',
        async () => (await import('@/app/(dashboard)/incidents/page')).default({ searchParams: Promise.resolve({}) } as never),
      ],
      [
        '/incidents/1',
        async () => (await import('@/app/(dashboard)/incidents/[id]/page')).default({ params: Promise.resolve({ id: '1' }) } as never),
      ],
      [
        '/learners/1',
        async () =>
          (await import('@/app/(dashboard)/learners/[id]/page')).default({
            params: Promise.resolve({ id: '1' }),
            searchParams: Promise.resolve({}),
          } as never),
      ],
      ['/settings/account', async () => (await import('@/app/(dashboard)/settings/account/page')).default()],
    ];
    for (const [path, render] of pages) {
      await as(identity);
      let outcome = 'rendered';
      try {
        await render();
      } catch (err) {
        const digest = String((err as { digest?: string }).digest ?? (err as Error).message);
        outcome = digest.startsWith('NEXT_REDIRECT')
          ? `redirect ${digest.split(';')[2]}`
          : digest.startsWith('NEXT_HTTP_ERROR_FALLBACK;404')
            ? 'not found'
            : `error ${digest}`;
      }
      if (STAFF.has(identity)) expect(['rendered', 'not found'], `${identity} ${path}`).toContain(outcome);
      else expect(outcome, `${identity} ${path}`).toBe('redirect /login');
    }
    // ADMIN only, like /settings/api-keys: everyone else is sent to /login, and the refusal is audited.
    const adminPages: Record<string, () => Promise<{ default: () => Promise<unknown> }>> = {
      '/settings/api-keys': () => import('@/app/(dashboard)/settings/api-keys/page'),
      '/settings/notifications': () => import('@/app/(dashboard)/settings/notifications/page'),
      '/settings/staff': () => import('@/app/(dashboard)/settings/staff/page'),
    };
    for (const [path, load] of Object.entries(adminPages)) {
      await as(identity);
      const denialsBefore = await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } });
      const page = (await load()).default;
      const outcome = await page().then(
        () => 'rendered',
        (err: { digest?: string }) =>
          String(err.digest).startsWith('NEXT_REDIRECT') ? `redirect ${String(err.digest).split(';')[2]}` : 'error',
      );
      if (ADMIN_ONLY.has(identity)) expect(outcome, `${identity} ${path}`).toBe('rendered');
      else {
        expect(outcome, `${identity} ${path}`).toBe('redirect /login');
        expect(await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } })).toBe(denialsBefore + 1);
      }
    }
  });
});
