'use client';

import { useId, useState, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { useToast } from '@/components/ui/toaster';
import { addStaffAction } from '@/lib/actions/add-staff';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '@/lib/auth/password-policy';
import { STAFF_ROLES } from '@/lib/vocabulary';
import { OneTimePassword } from './one-time-password';

/**
 * "Add staff member": email, name, role, and a generated one-time password (shown once) or one
 * the admin sets. The server checks the password policy.
 */
export function AddStaffForm() {
  const toast = useToast();
  const id = useId();
  const { pending, error, run } = useActionForm();
  const [mode, setMode] = useState<'generate' | 'set'>('generate');
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const base = { email: String(data.get('email') ?? ''), name: String(data.get('name') ?? ''), role: String(data.get('role') ?? '') };
    const input = mode === 'generate' ? { ...base, generate: true } : { ...base, password: String(data.get('password') ?? '') };
    run(
      form,
      () => addStaffAction(input).catch(() => null),
      (result) => {
        setMode('generate');
        if (result.generatedPassword) setCreated({ email: result.staff.email, password: result.generatedPassword });
        toast.success(`Staff member ${result.staff.email} added.`);
      },
    );
  };

  return (
    <ActionForm
      id={id}
      title="Add staff member"
      submitLabel="Add staff member"
      error={error}
      pending={pending}
      onSubmit={onSubmit}
      style={{ marginBottom: '1rem' }}
      before={created ? <OneTimePassword email={created.email} password={created.password} onDone={() => setCreated(null)} /> : null}
    >
      <div className="action-buttons">
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input id={`${id}-email`} name="email" type="email" required maxLength={254} autoComplete="off" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} name="name" required maxLength={200} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-role`}>Role</label>
          <select id={`${id}-role`} name="role" defaultValue="VIEWER">
            {STAFF_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset className="checkbox-group">
        <legend>Initial password</legend>
        <label className="inline-field">
          <input type="radio" name="mode" value="generate" checked={mode === 'generate'} onChange={() => setMode('generate')} /> Generate a
          one-time password
        </label>
        <label className="inline-field">
          <input type="radio" name="mode" value="set" checked={mode === 'set'} onChange={() => setMode('set')} /> Set a password
        </label>
      </fieldset>
      {mode === 'set' ? (
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            required
            minLength={MIN_PASSWORD_LENGTH}
            maxLength={MAX_PASSWORD_LENGTH}
            autoComplete="new-password"
            aria-describedby={`${id}-password-hint`}
          />
          <span id={`${id}-password-hint`} className="hint">
            At least {MIN_PASSWORD_LENGTH} characters; not a common password, the email or the name
          </span>
        </div>
      ) : null}
    </ActionForm>
  );
}
