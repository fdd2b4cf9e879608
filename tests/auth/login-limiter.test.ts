import { describe, expect, it } from 'vitest';
import { db } from '../support/db';

// Small limits so the test runs quickly; set before the configuration is first read.
process.env.LOGIN_MAX_ATTEMPTS = '3';
process.env.LOGIN_MAX_ATTEMPTS_PER_ADDRESS = '5';
process.env.LOGIN_WINDOW_SECONDS = '2';

const { hashPassword } = await import('@/lib/auth/password');
const { authenticateStaff, LoginThrottledError } = await import('@/lib/auth/authenticate');

async function staff(password: string) {
  const email = `limited-${Math.random().toString(36).slice(2)}@test.local`;
  await db.user.create({ data: { email, name: 'Staff', role: 'ADMIN', passwordHash: await hashPassword(password) } });
  return email;
}

async function attempt(email: string, password: string, ip: string | null) {
  try {
    return (await authenticateStaff({ email, password }, ip)) ? 'ok' : 'wrong';
  } catch (err) {
    if (err instanceof LoginThrottledError) return 'locked';
    throw err;
  }
}

describe('sign-in rate limit (counts in PostgreSQL)', () => {
  it('locks an account after LOGIN_MAX_ATTEMPTS failures, even for the right password, until the window ends', async () => {
    const email = await staff('right-password');
    expect([await attempt(email, 'x', '10.0.0.1'), await attempt(email, 'y', '10.0.0.2'), await attempt(email, 'z', '10.0.0.3')]).toEqual([
      'wrong',
      'wrong',
      'wrong',
    ]);
    expect(await attempt(email, 'right-password', '10.0.0.4')).toBe('locked');
    const { failures } = await db.loginAttempt.findUniqueOrThrow({ where: { key: `email:${email}` } });
    expect(failures).toBe(3);
    await new Promise((r) => setTimeout(r, 2_100));
    expect(await attempt(email, 'right-password', '10.0.0.4')).toBe('ok');
    expect(await db.loginAttempt.findUnique({ where: { key: `email:${email}` } })).toBeNull();
  });

  it('locks a client address that tries many accounts', async () => {
    const ip = '192.0.2.77';
    for (let i = 0; i < 5; i++) expect(await attempt(`nobody-${i}@test.local`, 'guess', ip)).toBe('wrong');
    const victim = await staff('their-password');
    expect(await attempt(victim, 'their-password', ip)).toBe('locked');
    expect(await attempt(victim, 'their-password', '192.0.2.78')).toBe('ok');
  });

  it('counts concurrent failures exactly', async () => {
    const email = await staff('pw-123456');
    await Promise.all(Array.from({ length: 10 }, () => attempt(email, 'bad', null)));
    const row = await db.loginAttempt.findUniqueOrThrow({ where: { key: `email:${email}` } });
    // Every failure that got past the check was counted; the rest were refused before verifying.
    expect(row.failures).toBeGreaterThanOrEqual(3);
    expect(row.failures).toBeLessThanOrEqual(10);
    expect(await attempt(email, 'pw-123456', null)).toBe('locked');
  });
});
