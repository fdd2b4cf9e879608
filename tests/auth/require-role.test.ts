import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import { hashPassword } from '@/lib/auth/password';
import { isSyncError } from '@/lib/sync/errors';
import { db } from '../support/db';

// The next-auth session is the only thing faked: roles come from the real database.
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));

const { getCurrentStaff, requireRole } = await import('@/lib/auth/session');
const { authenticateStaff } = await import('@/lib/auth/authenticate');

async function user(role: 'STUDENT' | 'VIEWER' | 'ADMIN', password?: string) {
  const email = `${role.toLowerCase()}-${Math.random().toString(36).slice(2)}@test.local`;
  return db.user.create({
    // Staff rows must carry a hash (a CHECK constraint); a placeholder when the test never signs in.
    data: {
      email,
      name: role,
      role,
      passwordHash: password ? await hashPassword(password) : role === 'STUDENT' ? null : 'not-a-real-hash',
    },
    select: { id: true, email: true, role: true },
  });
}

const signInAs = (u: { id: number; email: string } | null, tokenRole = 'ADMIN') => {
  session.current = u ? { user: { id: String(u.id), email: u.email, role: tokenRole } } : null;
};

const denials = (actor: string) => db.auditEvent.count({ where: { action: 'ACCESS_DENIED', actor } });

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('requireRole', () => {
  beforeEach(() => signInAs(null));

  it('lets an ADMIN do ADMIN things and a VIEWER read', async () => {
    const admin = await user('ADMIN');
    signInAs(admin);
    await expect(requireRole('ADMIN', { action: 'VIEW_DASHBOARD' })).resolves.toMatchObject({ id: admin.id, role: 'ADMIN' });
    const viewer = await user('VIEWER');
    signInAs(viewer, 'VIEWER');
    await expect(requireRole('VIEWER', { action: 'VIEW_DASHBOARD' })).resolves.toMatchObject({ id: viewer.id, role: 'VIEWER' });
  });

  it('refuses a VIEWER an ADMIN action, whatever the token says, and audits the refusal', async () => {
    const viewer = await user('VIEWER');
    signInAs(viewer, 'ADMIN'); // a forged or stale token role changes nothing
    const err = await refusal(requireRole('ADMIN', { action: 'SYNC_PAIR' }));
    expect(isSyncError(err, 'FORBIDDEN')).toBe(true);
    const [event] = await db.auditEvent.findMany({ where: { action: 'ACCESS_DENIED', actor: viewer.email } });
    expect(event?.after).toMatchObject({ attempted: 'SYNC_PAIR', required: 'ADMIN', role: 'VIEWER' });
  });

  it('takes a demotion into account at once', async () => {
    const admin = await user('ADMIN');
    signInAs(admin);
    await requireRole('ADMIN', { action: 'VIEW_DASHBOARD' });
    await db.user.update({ where: { id: admin.id }, data: { role: 'VIEWER' } });
    expect(isSyncError(await refusal(requireRole('ADMIN', { action: 'HEALTH_CHECK' })), 'FORBIDDEN')).toBe(true);
    expect(await denials(admin.email)).toBe(1);
  });

  it('treats signed-out visitors, STUDENTs and replaced accounts as nobody', async () => {
    expect(await getCurrentStaff()).toBeNull();
    expect(isSyncError(await refusal(requireRole('VIEWER', { action: 'VIEW_DASHBOARD' })), 'FORBIDDEN')).toBe(true);
    expect(await denials('anonymous')).toBeGreaterThan(0);

    const student = await user('STUDENT');
    signInAs(student);
    expect(await getCurrentStaff()).toBeNull();

    const admin = await user('ADMIN');
    signInAs({ id: admin.id, email: 'someone-else@test.local' });
    expect(await getCurrentStaff()).toBeNull();
  });
});

describe('authenticateStaff', () => {
  it('signs in staff with the right password only, and never a STUDENT', async () => {
    const admin = await user('ADMIN', 'correct horse battery');
    await expect(authenticateStaff({ email: admin.email.toUpperCase(), password: 'correct horse battery' }, null)).resolves.toMatchObject({
      id: admin.id,
      role: 'ADMIN',
    });
    await expect(authenticateStaff({ email: admin.email, password: 'wrong' }, null)).resolves.toBeNull();
    await expect(authenticateStaff({ email: 'nobody@test.local', password: 'whatever' }, null)).resolves.toBeNull();
    await expect(authenticateStaff({ email: admin.email }, null)).resolves.toBeNull();
    const student = await user('STUDENT', 'student password');
    await expect(authenticateStaff({ email: student.email, password: 'student password' }, null)).resolves.toBeNull();
  });
});
