'use client';

import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '@/lib/auth/password-policy';

export type PasswordMode = 'generate' | 'set';

/**
 * The choice of "Add staff member" and "Reset password": a generated one-time password (shown
 * once) or one the admin sets, with its field (`name="password"`) only while setting. The server
 * checks the policy; its message is the form's error.
 */
export function PasswordChoice({
  id,
  legend,
  label,
  mode,
  onMode,
}: {
  /** Prefixes the field's ids (from `useId`). */
  id: string;
  legend: string;
  /** The password field's label. */
  label: string;
  mode: PasswordMode;
  onMode: (mode: PasswordMode) => void;
}) {
  return (
    <>
      <fieldset className="checkbox-group">
        <legend>{legend}</legend>
        <label className="inline-field">
          <input type="radio" name="mode" value="generate" checked={mode === 'generate'} onChange={() => onMode('generate')} /> Generate a
          one-time password
        </label>
        <label className="inline-field">
          <input type="radio" name="mode" value="set" checked={mode === 'set'} onChange={() => onMode('set')} /> Set a password
        </label>
      </fieldset>
      {mode === 'set' ? (
        <div className="field">
          <label htmlFor={`${id}-password`}>{label}</label>
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
    </>
  );
}

/** The password part of a staff action's input, from the form's data. */
export function passwordInput(mode: PasswordMode, data: FormData): { generate: true } | { password: string } {
  return mode === 'generate' ? { generate: true } : { password: String(data.get('password') ?? '') };
}
