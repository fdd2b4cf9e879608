'use client';

import { useId, useState, useTransition, type FormEvent } from 'react';
import { useToast } from '@/components/ui/toaster';
import { changeOwnPasswordAction } from '@/lib/actions/change-own-password';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '@/lib/auth/password-policy';

/**
 * "Change password" for one's own account: the current password, and the new one twice (checked
 * equal here; the server checks the current one and the policy).
 */
export function ChangePasswordForm() {
  const toast = useToast();
  const id = useId();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const currentPassword = String(data.get('currentPassword') ?? '');
    const newPassword = String(data.get('newPassword') ?? '');
    if (newPassword !== String(data.get('repeatPassword') ?? '')) {
      setError('The new password and its repetition differ.');
      return;
    }
    startTransition(async () => {
      const result = await changeOwnPasswordAction({ currentPassword, newPassword }).catch(() => null);
      if (!result) return setError('The server could not be reached. Try again in a moment.');
      if (!result.ok) return setError(result.error.message);
      setError(null);
      form.reset();
      toast.success('Password changed.');
    });
  };

  const field = (name: string, label: string, autoComplete: string, policy: boolean) => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        name={name}
        type="password"
        required
        minLength={policy ? MIN_PASSWORD_LENGTH : undefined}
        maxLength={MAX_PASSWORD_LENGTH}
        autoComplete={autoComplete}
      />
    </div>
  );

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Change password</h2>
      <form
        onSubmit={onSubmit}
        className="settings-form"
        aria-labelledby={`${id}-title`}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
      >
        {field('currentPassword', 'Current password', 'current-password', false)}
        {field('newPassword', 'New password', 'new-password', true)}
        {field('repeatPassword', 'Repeat new password', 'new-password', true)}
        <p id={`${id}-hint`} className="hint">
          At least {MIN_PASSWORD_LENGTH} characters; not a common password, your email or your name.
        </p>
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          Change password
        </button>
      </form>
      {error ? (
        <p id={`${id}-error`} className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
