import 'server-only';
import { postgresLoginLimiter } from './login-limiter';

/**
 * The seam for sign-in throttling. `authenticateStaff` asks the guard before verifying a password
 * and reports each outcome; the installed guard is the PostgreSQL-backed limiter
 * (lib/auth/login-limiter.ts, LOGIN_MAX_ATTEMPTS / LOGIN_WINDOW_SECONDS).
 */
export interface LoginAttempt {
  /** Normalised (trimmed, lower-cased) email as typed. */
  email: string;
  /** Client address when known (x-forwarded-for / x-real-ip), for per-address limits. */
  ip: string | null;
}

export type LoginDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginGuard {
  check(attempt: LoginAttempt): Promise<LoginDecision>;
  recordFailure(attempt: LoginAttempt): Promise<void>;
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}

let current: LoginGuard | undefined;

export function getLoginGuard(): LoginGuard {
  return (current ??= postgresLoginLimiter);
}

/** Installs a limiter (or a test double). */
export function setLoginGuard(guard: LoginGuard): void {
  current = guard;
}
