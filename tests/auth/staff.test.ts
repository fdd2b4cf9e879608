import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import { verifyPassword } from '@/lib/auth/password';
import {
  addStaff,
  changeOwnPassword,
  disableStaff,
  enableStaff,
  generatePassword,
  listStaff,
  resetStaffPassword,
  setStaffRole,
} from '@/lib/auth/staff';
import { isSyncError, type SyncErrorCode } from '@/lib/sync/errors';
import type { Actor } from '@/lib/sync/types';
import { db, expectRefused, rawClient } from '../support/db';

// The next-auth session is the only thing faked: roles and disabled_at come from the real database.
const session = vi.hoisted(() => ({
  current: null as null | { user: { id: string; email: string; role: string }; sessionVersion?: number },
}));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));

const { requireRole } = await import('@/lib/auth/session');
const { authenticateStaff } = await import('@/lib/auth/authenticate');

vi.setConfig({ testTimeout: 30_000 });

const CLI: Actor = { label: 'cli', source: 'CLI' };
const PASSWORD = 'a-long-unique-passphrase-42';

async function refusal(p: Promise<unknown>, code: SyncErrorCode): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isSyncError(err, code)) return err.message;
    throw err;
  }
  throw new Error(`expected ${code}`);
}

const add = (email: string, role: 'ADMIN' | 'VIEWER', password = PASSWORD) =>
  addStaff(db, { email, name: email.split('@')[0]!, role, password }, CLI);
const signInAs = (u: { id: number; email: string }, sessionVersion?: number) =>
  (session.current = { user: { id: String(u.id), email: u.email, role: 'ADMIN' }, sessionVersion });
const sessionVersion = async (id: number) =>
  (await db.user.findUniqueOrThrow({ where: { id }, select: { sessionVersion: true } })).sessionVersion;
const events = (action: string, userId: number) =>
  db.auditEvent.findMany({
    where: { action, userId },
    orderBy: { id: 'asc' },
    select: { actor: true, source: true, before: true, after: true },
  });

beforeEach(async () => {
  session.current = null;
  await db.$executeRaw`DELETE FROM users WHERE role <> 'STUDENT'`;
  await db.$executeRaw`DELETE FROM login_attempts`;
});

describe('addStaff and listStaff', () => {
  it('adds an account that can sign in, audited, and lists it without its hash', async () => {
    const staff = await add('Ada@Example.org', 'ADMIN');
    expect(staff).toMatchObject({ email: 'ada@example.org', role: 'ADMIN', disabled: false, disabledAt: null });
    await expect(authenticateStaff({ email: 'ada@example.org', password: PASSWORD }, null)).resolves.toMatchObject({ id: staff.id });

    const list = await listStaff(db);
    expect(list).toEqual([staff]);
    expect(Object.keys(list[0]!).sort()).toEqual(['createdAt', 'disabled', 'disabledAt', 'email', 'id', 'name', 'role']);
    expect(JSON.stringify(list)).not.toMatch(/argon2|passwordHash/);
    expect(await events('STAFF_ADDED', staff.id)).toEqual([
      { actor: 'cli', source: 'CLI', before: null, after: { email: 'ada@example.org', name: 'Ada', role: 'ADMIN', disabled: false } },
    ]);
    expect(JSON.stringify(await db.auditEvent.findMany({ select: { before: true, after: true, reason: true } }))).not.toContain(PASSWORD);
  });

  it('refuses a taken email, a learner email, a weak password and bad input, saving nothing', async () => {
    await add('ada@example.org', 'ADMIN');
    expect(await refusal(add('ADA@example.org', 'VIEWER'), 'CONFLICT')).toMatch(/already exists/);
    await db.user.create({ data: { email: 'learner@example.org', name: 'L', role: 'STUDENT' } });
    expect(await refusal(add('learner@example.org', 'VIEWER'), 'CONFLICT')).toMatch(/learner/);
    expect(await refusal(add('bob@example.org', 'VIEWER', 'password1234'), 'VALIDATION')).toMatch(/common passwords/);
    expect(await refusal(add('bob@example.org', 'VIEWER', 'short'), 'VALIDATION')).toMatch(/at least 12/);
    await refusal(add('not-an-email', 'VIEWER'), 'VALIDATION');
    await refusal(addStaff(db, { email: 'c@example.org', name: 'C', role: 'STUDENT' as 'ADMIN', password: PASSWORD }, CLI), 'VALIDATION');
    expect((await listStaff(db)).map((s) => s.email)).toEqual(['ada@example.org']);
  });
});

describe('roles', () => {
  it('a role change applies on the next requireRole, and is audited', async () => {
    await add('ada@example.org', 'ADMIN');
    const bob = await add('bob@example.org', 'VIEWER');
    signInAs(bob);
    await refusal(requireRole('ADMIN', { action: 'SYNC_PAIR', fresh: true }), 'FORBIDDEN');
    await setStaffRole(db, 'bob@example.org', 'ADMIN', CLI);
    await expect(requireRole('ADMIN', { action: 'SYNC_PAIR', fresh: true })).resolves.toMatchObject({ id: bob.id, role: 'ADMIN' });
    await setStaffRole(db, 'bob@example.org', 'VIEWER', CLI);
    await refusal(requireRole('ADMIN', { action: 'SYNC_PAIR', fresh: true }), 'FORBIDDEN');
    expect((await events('STAFF_ROLE_CHANGED', bob.id)).map((e) => [e.before, e.after])).toEqual([
      [expect.objectContaining({ role: 'VIEWER' }), expect.objectContaining({ role: 'ADMIN' })],
      [expect.objectContaining({ role: 'ADMIN' }), expect.objectContaining({ role: 'VIEWER' })],
    ]);
    // The same role again changes nothing and writes nothing.
    await setStaffRole(db, 'bob@example.org', 'VIEWER', CLI);
    expect(await events('STAFF_ROLE_CHANGED', bob.id)).toHaveLength(2);
  });

  it('never demotes the last enabled ADMIN; NOT_FOUND for unknown emails and learners', async () => {
    const ada = await add('ada@example.org', 'ADMIN');
    expect(await refusal(setStaffRole(db, 'ada@example.org', 'VIEWER', CLI), 'CONFLICT')).toMatch(/would leave no admin/);
    const bob = await add('bob@example.org', 'ADMIN');
    await disableStaff(db, bob.email, CLI);
    // A disabled ADMIN does not count.
    await refusal(setStaffRole(db, ada.email, 'VIEWER', CLI), 'CONFLICT');
    await enableStaff(db, bob.email, CLI);
    await expect(setStaffRole(db, ada.email, 'VIEWER', CLI)).resolves.toMatchObject({ role: 'VIEWER' });
    await refusal(setStaffRole(db, 'nobody@example.org', 'VIEWER', CLI), 'NOT_FOUND');
    await db.user.create({ data: { email: 'learner2@example.org', name: 'L', role: 'STUDENT' } });
    await refusal(setStaffRole(db, 'learner2@example.org', 'ADMIN', CLI), 'NOT_FOUND');
    await refusal(disableStaff(db, 'learner2@example.org', CLI), 'NOT_FOUND');
  });
});

describe('disable and enable', () => {
  it('a disabled account cannot sign in, its session is refused for good, and it signs in again once enabled', async () => {
    const ada = await add('ada@example.org', 'ADMIN');
    const bob = await add('bob@example.org', 'VIEWER');
    signInAs(bob);
    await expect(requireRole('VIEWER', { action: 'VIEW_DASHBOARD', fresh: true })).resolves.toMatchObject({ id: bob.id });

    const disabled = await disableStaff(db, bob.email, { label: ada.email, userId: ada.id, source: 'ADMIN' });
    expect(disabled).toMatchObject({ disabled: true, disabledAt: expect.any(Date) });
    await expect(authenticateStaff({ email: bob.email, password: PASSWORD }, null)).resolves.toBeNull();
    await refusal(requireRole('VIEWER', { action: 'VIEW_DASHBOARD', fresh: true }), 'FORBIDDEN');
    expect(await refusal(disableStaff(db, bob.email, CLI), 'CONFLICT')).toMatch(/already disabled/);

    await enableStaff(db, bob.email, CLI);
    // Re-enabled, the account signs in afresh: disabling bumped the session version, so the
    // session from before stays refused.
    await refusal(requireRole('VIEWER', { action: 'VIEW_DASHBOARD', fresh: true }), 'FORBIDDEN');
    const again = await authenticateStaff({ email: bob.email, password: PASSWORD }, null);
    expect(again).toMatchObject({ id: bob.id, sessionVersion: 2 });
    signInAs(bob, again!.sessionVersion);
    await expect(requireRole('VIEWER', { action: 'VIEW_DASHBOARD', fresh: true })).resolves.toMatchObject({ id: bob.id });
    expect(await refusal(enableStaff(db, bob.email, CLI), 'CONFLICT')).toMatch(/not disabled/);

    expect(await events('STAFF_DISABLED', bob.id)).toEqual([
      {
        actor: ada.email,
        source: 'ADMIN',
        before: expect.objectContaining({ disabled: false }),
        after: expect.objectContaining({ disabled: true }),
      },
    ]);
    expect(await events('STAFF_ENABLED', bob.id)).toEqual([
      {
        actor: 'cli',
        source: 'CLI',
        before: expect.objectContaining({ disabled: true }),
        after: expect.objectContaining({ disabled: false }),
      },
    ]);
  });

  it('refuses disabling oneself and the last enabled ADMIN', async () => {
    const ada = await add('ada@example.org', 'ADMIN');
    const bob = await add('bob@example.org', 'ADMIN');
    expect(await refusal(disableStaff(db, ada.email, { label: ada.email, userId: ada.id, source: 'ADMIN' }), 'CONFLICT')).toMatch(
      /own account/,
    );
    await disableStaff(db, ada.email, { label: bob.email, userId: bob.id, source: 'ADMIN' });
    expect(await refusal(disableStaff(db, bob.email, CLI), 'CONFLICT')).toMatch(/would leave no admin/);
    // Two admins disabling each other at once: one wins, the other is refused.
    await enableStaff(db, ada.email, CLI);
    const results = await Promise.allSettled([
      disableStaff(db, ada.email, { label: bob.email, userId: bob.id, source: 'ADMIN' }),
      disableStaff(db, bob.email, { label: ada.email, userId: ada.id, source: 'ADMIN' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await db.user.count({ where: { role: 'ADMIN', disabledAt: null } })).toBe(1);
  });

  it('the database refuses disabling a learner (users_only_staff_disabled)', async () => {
    const c = await rawClient();
    try {
      const { rows } = await c.query(`INSERT INTO users (email, name, role) VALUES ('l@example.org', 'L', 'STUDENT') RETURNING id`);
      const err = await expectRefused(c, `UPDATE users SET disabled_at = now() WHERE id = $1`, [rows[0].id]);
      expect(err).toMatchObject({ code: '23514', constraint: 'users_only_staff_disabled' });
    } finally {
      await c.end();
    }
  });
});

describe('passwords', () => {
  it('resetStaffPassword sets a new password (policy checked), audited without it', async () => {
    await add('ada@example.org', 'ADMIN');
    const bob = await add('bob@example.org', 'VIEWER');
    const fresh = generatePassword();
    await resetStaffPassword(db, bob.email, fresh, CLI);
    await expect(authenticateStaff({ email: bob.email, password: PASSWORD }, null)).resolves.toBeNull();
    // The new password signs in with the new session version (the reset ended the older sessions).
    await expect(authenticateStaff({ email: bob.email, password: fresh }, null)).resolves.toMatchObject({ id: bob.id, sessionVersion: 2 });
    expect(await refusal(resetStaffPassword(db, bob.email, 'bob@example.org', CLI), 'VALIDATION')).toMatch(/email/);
    await refusal(resetStaffPassword(db, 'nobody@example.org', fresh, CLI), 'NOT_FOUND');
    expect(await sessionVersion(bob.id)).toBe(2);
    const audit = await events('STAFF_PASSWORD_RESET', bob.id);
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(fresh);
  });

  it('changeOwnPassword needs the current password and applies the policy', async () => {
    const ada = await add('ada@example.org', 'ADMIN');
    const next = 'another-long-passphrase-77';
    expect(await refusal(changeOwnPassword(db, ada.id, 'wrong-password-here', next), 'VALIDATION')).toMatch(/current password/);
    expect(await refusal(changeOwnPassword(db, ada.id, PASSWORD, PASSWORD), 'VALIDATION')).toMatch(/differ/);
    expect(await refusal(changeOwnPassword(db, ada.id, PASSWORD, 'qwerty123456'), 'VALIDATION')).toMatch(/common/);
    expect(await sessionVersion(ada.id)).toBe(1);
    await changeOwnPassword(db, ada.id, PASSWORD, next);
    expect(await sessionVersion(ada.id)).toBe(2);
    const row = await db.user.findUniqueOrThrow({ where: { id: ada.id }, select: { passwordHash: true } });
    expect(await verifyPassword(row.passwordHash!, next)).toBe(true);
    expect(await events('STAFF_PASSWORD_CHANGED', ada.id)).toEqual([
      { actor: ada.email, source: 'ADMIN', before: null, after: expect.objectContaining({ email: ada.email }) },
    ]);
    await refusal(changeOwnPassword(db, 999_999, next, 'yet-another-passphrase-1'), 'NOT_FOUND');
  });
});
