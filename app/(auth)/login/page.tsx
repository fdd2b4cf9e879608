import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/layout/login-form';
import { getCurrentStaff } from '@/lib/auth/session';
import { signInNotice } from '@/lib/auth/sign-in-notice';

export const metadata: Metadata = { title: 'Sign in' };

/** Only same-site paths are followed after sign-in (no open redirect). */
function safeCallback(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.length > 2000) return '/';
  return value;
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallback(params.callbackUrl);
  // Already signed in as staff (role re-read from the database): nothing to do here.
  if (await getCurrentStaff()) redirect(callbackUrl);
  const notice = signInNotice(params.notice);
  return (
    <main id="main" className="login-page">
      <div className="login-card">
        <h1>SyncWatch</h1>
        <p className="muted">Sign in with your staff account.</p>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <LoginForm callbackUrl={callbackUrl} initialError={params.error ? 'CredentialsSignin' : null} />
      </div>
    </main>
  );
}
