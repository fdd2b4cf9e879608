import type { DefaultSession } from 'next-auth';

/**
 * The session token carries the staff member's id and the role they had at sign-in, for the
 * header's first paint only: authorization re-reads the role from the database
 * (lib/auth/session.ts), so a stale token never grants anything.
 */
type StaffRole = 'VIEWER' | 'ADMIN';

declare module 'next-auth' {
  interface Session {
    user: { id: string; email: string; role: StaffRole } & Omit<DefaultSession['user'], 'email'>;
  }
  interface User {
    role: StaffRole;
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    role?: StaffRole;
  }
}
