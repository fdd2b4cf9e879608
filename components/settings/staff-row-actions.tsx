'use client';

import { useState, useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import { disableStaffAction } from '@/lib/actions/disable-staff';
import { enableStaffAction } from '@/lib/actions/enable-staff';
import { setStaffRoleAction } from '@/lib/actions/set-staff-role';
import type { StaffDto } from '@/lib/actions/staff-inputs';
import { STAFF_ROLES, type StaffRole } from '@/lib/vocabulary';
import { OneTimePassword } from './one-time-password';
import { ResetPasswordForm } from './reset-password-form';

type Result = { ok: true } | { ok: false; error: { message: string } };

/**
 * A staff row's actions: a role select with "Change role", "Disable" or "Enable", and "Reset
 * password", which opens its form (a generated one-time password, shown once here, or one the
 * admin sets). Each names its account for assistive technology; the engine refuses disabling
 * oneself or losing the last ADMIN.
 */
export function StaffRowActions({ staff }: { staff: StaffDto }) {
  const toast = useToast();
  const [pending, startTransition] = useTransition();
  const [role, setRole] = useState<StaffRole>(staff.role);
  const [resetting, setResetting] = useState(false);
  const [reset, setReset] = useState<string | null>(null);
  const { email } = staff;

  const run = (call: () => Promise<Result>, done: string) =>
    startTransition(async () => {
      const result = await call().catch(() => null);
      if (!result) return void toast.error('The server could not be reached. Try again in a moment.');
      if (!result.ok) return void toast.error(result.error.message);
      toast.success(done);
    });

  const changeRole = () => run(() => setStaffRoleAction({ email, role }), `${email} is now ${role}.`);
  const toggle = () => {
    if (staff.disabled) return run(() => enableStaffAction({ email }), `${email} enabled.`);
    if (!window.confirm(`Disable ${email}? They can no longer sign in, and their open sessions are refused at once.`)) return;
    run(() => disableStaffAction({ email }), `${email} disabled.`);
  };
  const onReset = (generated: string | null) => {
    setResetting(false);
    setReset(generated);
    toast.success(`Password of ${email} reset.`);
  };

  return (
    <>
      <div className="action-buttons">
        <select
          aria-label={`Role of ${email}`}
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as StaffRole)}
          disabled={pending}
        >
          {STAFF_ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button small"
          onClick={changeRole}
          disabled={pending || role === staff.role}
          aria-busy={pending}
          aria-label={`Change role of ${email}`}
        >
          Change role
        </button>
        <button
          type="button"
          className="button small"
          onClick={toggle}
          disabled={pending}
          aria-label={`${staff.disabled ? 'Enable' : 'Disable'} ${email}`}
        >
          {staff.disabled ? 'Enable' : 'Disable'}
        </button>
        <button
          type="button"
          className="button small"
          onClick={() => setResetting((open) => !open)}
          disabled={pending}
          aria-expanded={resetting}
          aria-label={`Reset password of ${email}`}
        >
          Reset password
        </button>
      </div>
      {resetting ? <ResetPasswordForm email={email} onReset={onReset} onCancel={() => setResetting(false)} /> : null}
      {reset ? <OneTimePassword email={email} password={reset} onDone={() => setReset(null)} /> : null}
    </>
  );
}
