import 'server-only';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';

/**
 * Sign-in throttling with the counts in PostgreSQL, so every instance shares them: after
 * LOGIN_MAX_ATTEMPTS failures for one account, or LOGIN_MAX_ATTEMPTS_PER_ADDRESS from one
 * client address, within LOGIN_WINDOW_SECONDS, further attempts are refused until the window
 * that started with the first failure ends. A success clears the account's count.
 */

export interface LoginAttempt {
  /** Normalised (trimmed, lower-cased) email as typed. */
  email: string;
  /** Client address when known (x-forwarded-for / x-real-ip), for per-address limits. */
  ip: string | null;
}

export type LoginDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

function keys(attempt: LoginAttempt): { key: string; max: number }[] {
  const e = env();
  const list = [{ key: `email:${attempt.email}`, max: e.LOGIN_MAX_ATTEMPTS }];
  if (attempt.ip) list.push({ key: `ip:${attempt.ip.slice(0, 100)}`, max: e.LOGIN_MAX_ATTEMPTS_PER_ADDRESS });
  return list;
}

export const loginLimiter = {
  async check(attempt: LoginAttempt): Promise<LoginDecision> {
    const windowSeconds = env().LOGIN_WINDOW_SECONDS;
    const list = keys(attempt);
    const rows = await getDb().$queryRaw<{ key: string; failures: number; retry_after: number }[]>`
      SELECT key, failures, ceil(extract(epoch FROM window_start + make_interval(secs => ${windowSeconds}) - now()))::int AS retry_after
      FROM login_attempts
      WHERE key = ANY(${list.map((k) => k.key)}::text[]) AND window_start > now() - make_interval(secs => ${windowSeconds})`;
    const blocked = rows.filter((r) => r.failures >= (list.find((k) => k.key === r.key)?.max ?? Infinity));
    if (blocked.length === 0) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, ...blocked.map((r) => r.retry_after)) };
  },

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const windowSeconds = env().LOGIN_WINDOW_SECONDS;
    const list = keys(attempt).map((k) => k.key);
    // A window that has ended starts over at 1; otherwise the count grows. One statement, so
    // concurrent failures on several instances all count.
    await getDb().$executeRaw`
      INSERT INTO login_attempts (key, window_start, failures)
      SELECT k, now(), 1 FROM unnest(${list}::text[]) AS k
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN login_attempts.window_start <= now() - make_interval(secs => ${windowSeconds})
                        THEN 1 ELSE login_attempts.failures + 1 END,
        window_start = CASE WHEN login_attempts.window_start <= now() - make_interval(secs => ${windowSeconds})
                            THEN now() ELSE login_attempts.window_start END`;
  },

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    await getDb().loginAttempt.deleteMany({ where: { key: `email:${attempt.email}` } });
  },
};
