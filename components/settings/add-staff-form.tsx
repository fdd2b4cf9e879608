'use client';

import { useId, useState, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { useToast } from '@/components/ui/toaster';
import { addStaffAction } from '@/lib/actions/add-staff';
import { STAFF_ROLES } from '@/lib/vocabulary';
import { OneTimePassword } from './one-time-password';
import { PasswordChoice, passwordInput, type PasswordMode } from './password-choice';

/**
 * "Add staff member": email, name, role, and a generated one-time password (shown once) or one
 * the admin sets. The server checks the password policy.
 */
export function AddStaffForm() {
  const toast = useToast();
  const id = useId();
  const { pending, error, run } = useActionForm();
  const [mode, setMode] = useState<PasswordMode>('generate');
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const base = { email: String(data.get('email') ?? ''), name: String(data.get('name') ?? ''), role: String(data.get('role') ?? '') };
    const input = { ...base, ...passwordInput(mode, data) };
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
      <PasswordChoice id={id} legend="Initial password" label="Password" mode={mode} onMode={setMode} />
    </ActionForm>
  );
}
