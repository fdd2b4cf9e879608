'use client';

import { useId, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
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
      () => toast.success('Password changed.'),
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
