'use client';

import { signIn } from 'next-auth/react';
import { useState, type FormEvent } from 'react';

const MESSAGES: Record<string, string> = {
  CredentialsSignin: 'Invalid email or password',
  TooManyAttempts: 'Too many sign-in attempts. Wait a few minutes, then try again.',
};
const UNAVAILABLE = 'Sign-in is unavailable right now. Try again in a moment.';

export function LoginForm({ callbackUrl, initialError }: { callbackUrl: string; initialError: string | null }) {
  // next-auth sends failed non-JS sign-ins back here with ?error=...; one generic message.
  const [error, setError] = useState<string | null>(initialError ? (MESSAGES[initialError] ?? null) : null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const result = await signIn('credentials', {
        email: String(form.get('email') ?? ''),
        password: String(form.get('password') ?? ''),
        redirect: false,
      });
      if (result?.ok && !result.error) {
        // A full navigation, so every server component renders with the new session cookie.
        window.location.assign(callbackUrl);
        return;
      }
      setError(MESSAGES[result?.error ?? ''] ?? (result?.status === 401 ? MESSAGES.CredentialsSignin! : UNAVAILABLE));
    } catch {
      setError(UNAVAILABLE);
    }
    setPending(false);
  }

  return (
    <form className="login-form" onSubmit={onSubmit} noValidate aria-describedby={error ? 'login-error' : undefined}>
      <div className="field">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required autoFocus />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
      </div>
      {error ? (
        <p id="login-error" className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
        Sign in
      </button>
    </form>
  );
}
