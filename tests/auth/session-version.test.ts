import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import type { AuthOptions, Session, User } from 'next-auth';
import { encode, type JWT } from 'next-auth/jwt';
import { verifyPassword } from '@/lib/auth/password';
import { addStaff, changeOwnPassword, disableStaff, enableStaff, resetStaffPassword, setStaffRole } from '@/lib/auth/staff';
import type { EventHub } from '@/lib/events/event-hub';
import { isSyncError } from '@/lib/sync/errors';
import type { Actor } from '@/lib/sync/types';
import { db, expectRefused, rawClient } from '../support/db';

/**
 * Session versions (issue 16): a password reset or change, or disabling, ends the account's sessions.
 * Sessions here are real next-auth JWTs: signed in through the app's credentials provider and
 * jwt callback, encoded with the app's secret, decoded and passed through the session callback
 * on every request. Only the cookie lookup is replaced (there is no Next.js request), by a jar
 * holding one token. The account's row, version included, is the real database's.
 */

type Callbacks = NonNullable<AuthOptions['callbacks']>;
type SessionCallback = NonNullable<Callbacks['session']>;
type JwtCallback = NonNullable<Callbacks['jwt']>;

const jar = vi.hoisted(() => ({ token: null as string | null }));
vi.mock('next-auth', async (importOriginal) => {
  const real = await importOriginal<typeof NextAuth>();
  const { decode } = await import('next-auth/jwt');
  return {
    ...real,
    // What getServerSession does with the session cookie: decode the JWT, then the session callback.
    getServerSession: async (options: AuthOptions) => {
      const token = jar.token ? await decode({ token: jar.token, secret: options.secret! }) : null;
      if (!token) return null;
      const session = { user: {}, expires: new Date(Date.now() + 3_600_000).toISOString() } as Session;
      return options.callbacks!.session!({ session, token } as Parameters<SessionCallback>[0]);
    },
  };
});
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));

const { authOptions } = await import('@/lib/auth/options');
const { getCurrentStaff, requireRole } = await import('@/lib/auth/session');
const { requireStaffPage } = await import('@/lib/auth/guards');
const { withApiKey, withStaff } = await import('@/lib/http/route');
const { eventsRoute } = await import('@/lib/events/route');
const { resetStaffPasswordAction } = await import('@/lib/actions/reset-staff-password');
const { changeOwnPasswordAction } = await import('@/lib/actions/change-own-password');

vi.setConfig({ testTimeout: 30_000 });

const CLI: Actor = { label: 'cli', source: 'CLI' };
const PASSWORD = 'a-long-unique-passphrase-42';
const NEXT = 'the-next-long-passphrase-77';

/** Signs in through the app's credentials provider and jwt callback; returns the encoded session token. */
async function signIn(email: string, password: string): Promise<string> {
  const provider = authOptions.providers[0] as unknown as {
    options: { authorize: (credentials: unknown, req: unknown) => Promise<User | null> };
  };
  const user = await provider.options.authorize({ email, password }, { headers: {} });
  if (!user) throw new Error(`could not sign in as ${email}`);
  const token = (await authOptions.callbacks!.jwt!({
    token: { sub: user.id, email: user.email, name: user.name },
    user,
    account: null,
  } as Parameters<JwtCallback>[0])) as JWT;
  return encode({ token, secret: authOptions.secret! });
}

const use = (token: string | null) => (jar.token = token);
const versionOf = async (id: number) =>
  (await db.user.findUniqueOrThrow({ where: { id }, select: { sessionVersion: true } })).sessionVersion;
const hashOf = async (id: number) => (await db.user.findUniqueOrThrow({ where: { id }, select: { passwordHash: true } })).passwordHash;
const denials = (actor: string) => db.auditEvent.count({ where: { action: 'ACCESS_DENIED', actor } });

let ada: { id: number; email: string };
let bob: { id: number; email: string };

beforeEach(async () => {
  jar.token = null;
  await db.$executeRaw`DELETE FROM users WHERE role <> 'STUDENT'`;
  await db.$executeRaw`DELETE FROM login_attempts`;
  ada = await addStaff(db, { email: 'ada@example.org', name: 'Ada', role: 'ADMIN', password: PASSWORD }, CLI);
  bob = await addStaff(db, { email: 'bob@example.org', name: 'Bob', role: 'VIEWER', password: PASSWORD }, CLI);
});

describe('the session version', () => {
  it('is recorded in the token at sign-in', async () => {
    await db.$executeRaw`UPDATE users SET session_version = 7 WHERE id = ${bob.id}`;
    const token = await signIn(bob.email, PASSWORD);
    const { decode } = await import('next-auth/jwt');
    expect(await decode({ token, secret: authOptions.secret! })).toMatchObject({ sub: String(bob.id), sessionVersion: 7 });
    use(token);
    await expect(getCurrentStaff()).resolves.toEqual({ id: bob.id, email: bob.email, role: 'VIEWER' });
  });

  it('a session issued before an admin reset is refused after it; one issued after is accepted', async () => {
    const before = await signIn(bob.email, PASSWORD);
    use(before);
    await expect(requireRole('VIEWER', { action: 'VIEW_DASHBOARD', fresh: true })).resolves.toMatchObject({ id: bob.id });

    await resetStaffPassword(db, bob.email, NEXT, { label: ada.email, userId: ada.id, source: 'ADMIN' });
    expect(await versionOf(bob.id)).toBe(2);
    expect(await getCurrentStaff()).toBeNull();
    // Refused as a disabled account's session is: FORBIDDEN "signed out", audited under the token's email.
    const err = await requireRole('VIEWER', { action: 'VIEW_DASHBOARD', fresh: true }).catch((e: unknown) => e);
    expect(isSyncError(err, 'FORBIDDEN') && err.message).toMatch(/signed out/);
    expect(await denials(bob.email)).toBe(1);

    // The old password is refused; the new one gives a session of the new version.
    await expect(signIn(bob.email, PASSWORD)).rejects.toThrow(/could not sign in/);
    const after = await signIn(bob.email, NEXT);
    use(after);
    await expect(getCurrentStaff()).resolves.toMatchObject({ id: bob.id, role: 'VIEWER' });
    use(before);
    expect(await getCurrentStaff()).toBeNull();
  });

  it('a refused session is sent to /login by pages, gets 403 from routes, 401 from monitoring, and bye from the stream', async () => {
    use(await signIn(bob.email, PASSWORD));
    const route = withStaff('VIEWER', 'VIEW_DASHBOARD', async () => new Response('ok'));
    const monitor = withApiKey('monitor', async () => new Response('ok'));
    const hub: EventHub = { subscribe: () => () => {}, live: false, subscriberCount: 0, settled: async () => false, close: async () => {} };
    const abort = new AbortController();
    const stream = await eventsRoute({ reauthMs: 100, hub: () => hub })(
      new Request('http://localhost/api/events', { signal: abort.signal }),
    );
    expect(stream.status).toBe(200);
    await expect(requireStaffPage('VIEW_DASHBOARD')).resolves.toMatchObject({ id: bob.id });
    expect((await route(new Request('http://localhost/api/x'))).status).toBe(200);
    expect((await monitor(new Request('http://localhost/api/metrics'))).status).toBe(200);

    await resetStaffPassword(db, bob.email, NEXT, CLI);
    const redirect = await requireStaffPage('VIEW_DASHBOARD').catch((e: unknown) => e);
    expect((redirect as { digest?: string }).digest).toMatch(/^NEXT_REDIRECT;[a-z]+;\/login;/);
    const refused = await route(new Request('http://localhost/api/x'));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringMatching(/signed out/) } });
    const unauthorized = await monitor(new Request('http://localhost/api/metrics'));
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error.code).toBe('UNAUTHORIZED');

    // The open stream re-authorizes and ends with bye.
    const text = await readUntil(stream, 'event: bye', 3_000);
    expect(text).toContain('event: bye');
    abort.abort();
  });

  it('changing one’s own password bumps it: every session of the account ends, the one that asked included', async () => {
    const other = await signIn(bob.email, PASSWORD);
    const asking = await signIn(bob.email, PASSWORD);
    use(asking);
    const result = await changeOwnPasswordAction({ currentPassword: PASSWORD, newPassword: NEXT });
    expect(result).toEqual({ ok: true, changed: true, sessionEnded: true });
    expect(await versionOf(bob.id)).toBe(2);
    expect(await getCurrentStaff()).toBeNull();
    use(other);
    expect(await getCurrentStaff()).toBeNull();
    use(await signIn(bob.email, NEXT));
    await expect(getCurrentStaff()).resolves.toMatchObject({ id: bob.id });
    // A refused change (wrong current password) bumps nothing.
    await expect(changeOwnPassword(db, bob.id, 'not-the-password-at-all', 'yet-another-passphrase-1')).rejects.toThrow(/not correct/);
    expect(await versionOf(bob.id)).toBe(2);
  });

  it('an admin reset through the page action, with a password the admin sets, ends the sessions; the admin’s own stays', async () => {
    const bobs = await signIn(bob.email, PASSWORD);
    const adas = await signIn(ada.email, PASSWORD);
    use(adas);
    const result = await resetStaffPasswordAction({ email: bob.email, password: NEXT });
    expect(result).toMatchObject({ ok: true, staff: { email: bob.email }, generatedPassword: null });
    expect(await verifyPassword((await hashOf(bob.id))!, NEXT)).toBe(true);
    expect(await versionOf(bob.id)).toBe(2);
    expect(await versionOf(ada.id)).toBe(1);
    await expect(getCurrentStaff()).resolves.toMatchObject({ id: ada.id });
    use(bobs);
    expect(await getCurrentStaff()).toBeNull();

    // A generated one bumps it again.
    use(adas);
    const generated = await resetStaffPasswordAction({ email: bob.email, generate: true });
    expect(generated).toMatchObject({ ok: true, generatedPassword: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) });
    expect(await versionOf(bob.id)).toBe(3);
  });

  it('the reset action refuses a weak set password with VALIDATION, and changes nothing', async () => {
    use(await signIn(ada.email, PASSWORD));
    const hash = await hashOf(bob.id);
    const cases: [unknown, RegExp][] = [
      [{ email: bob.email, password: 'short' }, /at least 12/],
      [{ email: bob.email, password: 'password1234' }, /common passwords/],
      [{ email: bob.email, password: 'Qwerty123456' }, /common passwords/],
      [{ email: bob.email, password: 'admin-demo-password' }, /demo password/],
      [{ email: bob.email, password: ' Viewer-Demo-Password ' }, /demo password/],
      [{ email: bob.email, password: 'BOB@example.org' }, /email/],
      [{ email: bob.email, password: 'bob' + ' '.repeat(12) }, /email/],
      [{ email: bob.email, password: 'x'.repeat(1025) }, /at most 1,024/],
      [{ email: bob.email, password: NEXT, generate: true }, /Invalid input/],
      [{ email: bob.email, password: 123456789012 }, /Invalid input/],
      [{ email: bob.email }, /Invalid input/],
      [{ email: "bob@example.org' OR 1=1 --", password: NEXT }, /Invalid input/],
    ];
    for (const [input, message] of cases) {
      const result = await resetStaffPasswordAction(input);
      expect(result, JSON.stringify(input).slice(0, 80)).toMatchObject({ ok: false, error: { code: 'VALIDATION', message } });
    }
    expect(await hashOf(bob.id)).toBe(hash);
    expect(await versionOf(bob.id)).toBe(1);
    expect(await db.auditEvent.count({ where: { action: 'STAFF_PASSWORD_RESET', userId: bob.id } })).toBe(0);
  });

  it('disabling bumps it too: re-enabling the account does not revive its old sessions', async () => {
    const before = await signIn(bob.email, PASSWORD);
    await disableStaff(db, bob.email, CLI);
    await enableStaff(db, bob.email, CLI);
    expect(await versionOf(bob.id)).toBe(2);
    use(before);
    expect(await getCurrentStaff()).toBeNull();
    use(await signIn(bob.email, PASSWORD));
    await expect(getCurrentStaff()).resolves.toMatchObject({ id: bob.id });
    // Enabling and role changes leave it alone.
    await setStaffRole(db, bob.email, 'ADMIN', CLI);
    expect(await versionOf(bob.id)).toBe(2);
    await expect(getCurrentStaff()).resolves.toMatchObject({ id: bob.id, role: 'ADMIN' });
  });

  it('a token from before session versions counts as version 1', async () => {
    const token = await encode({ token: { sub: String(bob.id), email: bob.email, role: 'VIEWER' }, secret: authOptions.secret! });
    use(token);
    await expect(getCurrentStaff()).resolves.toMatchObject({ id: bob.id });
    await resetStaffPassword(db, bob.email, NEXT, CLI);
    expect(await getCurrentStaff()).toBeNull();
  });

  it('the database refuses a version below 1 (users_session_version_positive)', async () => {
    const c = await rawClient();
    try {
      for (const value of [0, -1]) {
        const err = await expectRefused(c, `UPDATE users SET session_version = $2 WHERE id = $1`, [bob.id, value]);
        expect(err).toMatchObject({ code: '23514', constraint: 'users_session_version_positive' });
      }
      expect(await expectRefused(c, `UPDATE users SET session_version = NULL WHERE id = $1`, [bob.id])).toMatchObject({ code: '23502' });
      const { rows } = await c.query(
        `INSERT INTO users (email, name, role) VALUES ('l@example.org', 'L', 'STUDENT') RETURNING session_version`,
      );
      expect(rows[0].session_version).toBe(1);
    } finally {
      await c.end();
    }
  });
});

/** Reads a streamed body until it contains `marker` or `timeoutMs` passes. */
async function readUntil(res: Response, marker: string, timeoutMs: number): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const end = Date.now() + timeoutMs;
  let text = '';
  while (!text.includes(marker) && Date.now() < end) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), end - Date.now()))]);
    if (!next || next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}
