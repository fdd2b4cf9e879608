'use client';

import { useId, useState, useTransition, type FormEvent } from 'react';
import { useToast } from '@/components/ui/toaster';
import { addMaintenanceWindowAction } from '@/lib/actions/add-maintenance-window';
import { checkedConditions, ConditionCheckboxes } from './condition-checkboxes';

/**
 * "Mute notifications": a maintenance window until a time (the viewer's local time, sent as an
 * instant), for all or some conditions, with a reason. Incidents still open and are recorded;
 * their notifications wait until the window ends.
 */
export function MuteForm() {
  const id = useId();
  const toast = useToast();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    // A datetime-local value has no zone: it is the viewer's local time.
    const until = new Date(String(data.get('until') ?? ''));
    if (Number.isNaN(until.getTime())) return setError('Choose until when notifications are muted.');
    const input = { until: until.toISOString(), conditions: checkedConditions(data), reason: String(data.get('reason') ?? '') };
    startTransition(async () => {
      const result = await addMaintenanceWindowAction(input).catch(() => null);
      if (!result) return setError('The server could not be reached. Try again in a moment.');
      if (!result.ok) return setError(result.error.message);
      setError(null);
      form.reset();
      toast.success(`Notifications muted until ${new Date(result.window.endsAt).toLocaleString()}.`);
    });
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Mute notifications</h3>
      <form
        onSubmit={onSubmit}
        className="settings-form"
        aria-labelledby={`${id}-title`}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <div className="action-buttons">
          <div className="field">
            <label htmlFor={`${id}-until`}>Until</label>
            <input id={`${id}-until`} name="until" type="datetime-local" required />
          </div>
          <div className="field grow">
            <label htmlFor={`${id}-reason`}>Reason</label>
            <input id={`${id}-reason`} name="reason" required maxLength={500} autoComplete="off" placeholder="e.g. database upgrade" />
          </div>
        </div>
        <ConditionCheckboxes />
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          Mute
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
