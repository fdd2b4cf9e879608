'use client';

import { signOut } from 'next-auth/react';
import { useId, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { useToast } from '@/components/ui/toaster';
import { changeOwnPasswordAction } from '@/lib/actions/change-own-password';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '@/lib/auth/password-policy';
import { signInUrlWith } from '@/lib/auth/sign-in-notice';

/**
 * "Change password" for one's own account: the current password, and the new one twice (checked
 * equal here; the server checks the current one and the policy). The change ends the account's
 * sessions, this one included: the page signs out and lands on /login, which says why.
 */
export function ChangePasswordForm() {
  const toast = useToast();
  const id = useId();
  const { pending, error, setError, run } = useActionForm();

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
    run(
      form,
      () => changeOwnPasswordAction({ currentPassword, newPassword }).catch(() => null),
      async (result) => {
        toast.success('Password changed.');
        if (!result.sessionEnded) return;
        // Clears the (now refused) session cookie, then a full navigation drops every cached page.
        await signOut({ redirect: false }).catch(() => {});
        window.location.assign(signInUrlWith('password-changed'));
      },
    );
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
    <ActionForm
      id={id}
      title="Change password"
      submitLabel="Change password"
      error={error}
      pending={pending}
      onSubmit={onSubmit}
      describedBy={error ? `${id}-error` : `${id}-hint`}
    >
      {field('currentPassword', 'Current password', 'current-password', false)}
      {field('newPassword', 'New password', 'new-password', true)}
      {field('repeatPassword', 'Repeat new password', 'new-password', true)}
      <p id={`${id}-hint`} className="hint">
        At least {MIN_PASSWORD_LENGTH} characters; not a common password, your email or your name.
      </p>
    </ActionForm>
  );
}
