'use client';

import { useId, useState, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { resetStaffPasswordAction } from '@/lib/actions/reset-staff-password';
import { PasswordChoice, passwordInput, type PasswordMode } from './password-choice';

/**
 * "Reset password of <email>", opened from a staff row: a generated one-time password (shown
 * once by the row) or one the admin sets, as "Add staff member" offers. The server checks the
 * policy and says why it refuses one; a reset ends every session the account has open.
 */
export function ResetPasswordForm({
  email,
  onReset,
  onCancel,
}: {
  email: string;
  /** After a reset: the generated one-time password, or null for one the admin set. */
  onReset: (generatedPassword: string | null) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const { pending, error, run } = useActionForm();
  const [mode, setMode] = useState<PasswordMode>('generate');

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const input = { email, ...passwordInput(mode, new FormData(form)) };
    run(
      form,
      () => resetStaffPasswordAction(input).catch(() => null),
      (result) => onReset(result.generatedPassword),
    );
  };

  return (
    <ActionForm
      id={id}
      title={`Reset password of ${email}`}
      heading="h3"
      submitLabel="Reset password"
      error={error}
      pending={pending}
      onSubmit={onSubmit}
      style={{ marginTop: '0.5rem' }}
      before={<p className="hint">Their current password stops working, and every session they have open ends.</p>}
      after={
        <button type="button" className="button small subtle" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      }
    >
      <PasswordChoice id={id} legend="New password" label="Password" mode={mode} onMode={setMode} />
    </ActionForm>
  );
}
