import 'server-only';
import { z } from 'zod';
import { getDb } from '@/lib/db/server';
import { hashPassword, verifyPassword } from './password';
import { loginLimiter as guard, type LoginAttempt } from './login-limiter';
import { isStaffRole, type Staff } from './roles';

export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().max(254),
  password: z.string().min(1).max(1024),
});

/** Thrown when the login guard refuses an attempt; the sign-in page shows a readable sentence. */
export class LoginThrottledError extends Error {
  override name = 'LoginThrottledError';
  constructor(readonly retryAfterSeconds: number) {
    super('TooManyAttempts');
  }
}

// Verifying against a throwaway hash when the email is unknown keeps the response time the same
// as for a wrong password, so timing does not reveal which emails are staff accounts.
let dummyHash: Promise<string> | undefined;
const getDummyHash = () => (dummyHash ??= hashPassword('syncwatch-timing-equaliser'));

/** A staff member who just signed in, with the account's session version for the token (lib/auth/session.ts). */
export interface SignedInStaff extends Staff {
  sessionVersion: number;
}

/**
 * Checks staff credentials. Returns the staff member, or null for any failure (unknown email,
 * wrong password, a STUDENT, no password set): the caller shows one generic message.
 */
export async function authenticateStaff(input: unknown, ip: string | null): Promise<SignedInStaff | null> {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) return null;
  const { email, password } = parsed.data;
  const attempt: LoginAttempt = { email, ip };

  const decision = await guard.check(attempt);
  if (!decision.allowed) throw new LoginThrottledError(decision.retryAfterSeconds);

  const user = await getDb().user.findUnique({
    where: { email },
    omit: { passwordHash: false },
  });
  const ok = user?.passwordHash
    ? await verifyPassword(user.passwordHash, password)
    : (await verifyPassword(await getDummyHash(), password), false);

  // A disabled account is refused like a wrong password: the form says nothing more.
  if (!user || !ok || !isStaffRole(user.role) || user.disabledAt) {
    await guard.recordFailure(attempt);
    return null;
  }
  await guard.recordSuccess(attempt);
  return { id: user.id, email: user.email, role: user.role, sessionVersion: user.sessionVersion };
}
