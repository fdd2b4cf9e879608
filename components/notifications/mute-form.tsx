'use client';

import { useId, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
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
  const { pending, error, setError, run } = useActionForm();

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    // A datetime-local value has no zone: it is the viewer's local time.
    const until = new Date(String(data.get('until') ?? ''));
    if (Number.isNaN(until.getTime())) return setError('Choose until when notifications are muted.');
    const input = { until: until.toISOString(), conditions: checkedConditions(data), reason: String(data.get('reason') ?? '') };
    run(
      form,
      () => addMaintenanceWindowAction(input).catch(() => null),
      (result) => toast.success(`Notifications muted until ${new Date(result.window.endsAt).toLocaleString()}.`),
    );
  };

  return (
    <ActionForm id={id} title="Mute notifications" heading="h3" submitLabel="Mute" error={error} pending={pending} onSubmit={onSubmit}>
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
    </ActionForm>
  );
}
