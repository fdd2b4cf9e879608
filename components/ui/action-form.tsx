'use client';

import { useState, useTransition, type CSSProperties, type FormEvent, type ReactNode } from 'react';
import type { ActionResult } from '@/lib/actions/types';

/** The message shown when a server action's request fails outright. */
export const UNREACHABLE_MESSAGE = 'The server could not be reached. Try again in a moment.';

/**
 * The pending flag and error of a form that calls one server action. `run` calls it in a
 * transition: a `null` result (the caller's `.catch(() => null)`: the server could not be reached)
 * or a failure sets `error`; a success clears it, resets the form and calls `onSuccess`.
 */
export function useActionForm() {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);

  const run = <T extends object>(
    form: HTMLFormElement,
    action: () => Promise<ActionResult<T> | null>,
    onSuccess: (result: { ok: true } & T) => void,
  ) =>
    startTransition(async () => {
      const result = await action();
      if (!result) return setError(UNREACHABLE_MESSAGE);
      if (!result.ok) return setError(result.error.message);
      setError(null);
      form.reset();
      onSuccess(result);
    });

  return { pending, error, setError, run };
}

/**
 * A titled card holding one form: the section and form named by the heading, a busy submit button
 * and the error (`${id}-error`) after the form. `id` (from `useId`) prefixes the ids of the
 * heading and the error; `describedBy` replaces the form's default `aria-describedby` (the error).
 */
export function ActionForm({
  id,
  title,
  heading: Heading = 'h2',
  submitLabel,
  error,
  pending,
  onSubmit,
  children,
  describedBy,
  formClassName = 'settings-form',
  nameForm = true,
  disabled = false,
  style,
  before,
  after,
}: {
  id: string;
  title: string;
  heading?: 'h2' | 'h3';
  submitLabel: string;
  error: string | null;
  pending: boolean;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
  describedBy?: string;
  formClassName?: string;
  /** Whether the heading names the form too (making it a form landmark). */
  nameForm?: boolean;
  /** Disables the submit button even when not pending. */
  disabled?: boolean;
  style?: CSSProperties;
  /** Shown between the heading and the form. */
  before?: ReactNode;
  /** Shown between the form and the error. */
  after?: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={`${id}-title`} style={style}>
      <Heading id={`${id}-title`}>{title}</Heading>
      {before}
      <form
        onSubmit={onSubmit}
        className={formClassName}
        aria-labelledby={nameForm ? `${id}-title` : undefined}
        aria-describedby={describedBy !== undefined ? describedBy : error ? `${id}-error` : undefined}
      >
        {children}
        <button type="submit" className="button primary" disabled={disabled || pending} aria-busy={pending}>
          {submitLabel}
        </button>
      </form>
      {after}
      {error ? (
        <p id={`${id}-error`} className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
