import 'server-only';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { env } from '@/lib/env';
import { log } from '@/lib/log';
import { authenticateStaff, LoginThrottledError } from './authenticate';
import { isStaffRole } from './roles';

/**
 * The token also records the account's session version at sign-in (users.session_version).
 * lib/auth/session.ts refuses a session whose version is no longer the account's: a password
 * reset or change bumps it, which ends every session issued before.
 */
declare module 'next-auth' {
  interface User {
    sessionVersion?: number;
  }
  interface Session {
    sessionVersion?: number;
  }
}
declare module 'next-auth/jwt' {
  interface JWT {
    sessionVersion?: number;
  }
}

/** Sessions last a working day; the role inside is display-only (see lib/auth/session.ts). */
const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;
const authLog = log.child({ component: 'auth' });

function clientIp(headers: Record<string, unknown> | undefined): string | null {
  const forwarded = headers?.['x-forwarded-for'];
  if (typeof forwarded === 'string' && forwarded) return forwarded.split(',')[0]!.trim();
  const real = headers?.['x-real-ip'];
  return typeof real === 'string' && real ? real : null;
}

export const authOptions: NextAuthOptions = {
  secret: env().NEXTAUTH_SECRET,
  session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: '/login', error: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Email and password',
      credentials: {
        email: { label: 'Email', type: 'email' },
        password: { label: 'Password', type: 'password' },
      },
      async authorize(credentials, req) {
        try {
          const staff = await authenticateStaff(credentials, clientIp(req?.headers as Record<string, unknown> | undefined));
          if (!staff) return null;
          return { id: String(staff.id), email: staff.email, name: staff.email, role: staff.role, sessionVersion: staff.sessionVersion };
        } catch (err) {
          // next-auth passes a thrown error's message to the client as `error`.
          if (err instanceof LoginThrottledError) throw new Error('TooManyAttempts');
          authLog.error({ err }, 'sign-in failed unexpectedly');
          throw new Error('Unavailable');
        }
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      // `user` is set at sign-in only: the version is the one the account had then.
      if (user) {
        token.role = user.role;
        token.sessionVersion = user.sessionVersion;
      }
      return token;
    },
    session({ session, token }) {
      session.user = {
        id: token.sub ?? '',
        email: token.email ?? '',
        role: token.role && isStaffRole(token.role) ? token.role : 'VIEWER',
      };
      session.sessionVersion = token.sessionVersion;
      return session;
    },
  },
};
