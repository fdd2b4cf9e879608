import 'server-only';

/**
 * The seam for sign-in throttling (LOGIN_MAX_ATTEMPTS / LOGIN_WINDOW_SECONDS, a later issue).
 * `authenticateStaff` asks the guard before verifying a password and reports each outcome, so a
 * real limiter replaces `allowAll` without touching the sign-in flow.
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

const allowAll: LoginGuard = {
  check: async () => ({ allowed: true }),
  recordFailure: async () => {},
  recordSuccess: async () => {},
};

let current: LoginGuard = allowAll;

export function getLoginGuard(): LoginGuard {
  return current;
}

/** Installs a limiter (or a test double). */
export function setLoginGuard(guard: LoginGuard): void {
  current = guard;
}
