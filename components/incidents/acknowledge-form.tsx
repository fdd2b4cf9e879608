'use client';

import { useRouter } from 'next/navigation';
import { useId, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { useToast } from '@/components/ui/toaster';
import { acknowledgeIncidentAction } from '@/lib/actions/acknowledge-incident';
import { Role, type StaffRole } from '@/lib/vocabulary';

const MAX_NOTE = 500;

/**
 * "Acknowledge" an open incident (ADMIN, a note required): someone is on it, and reminders stop.
 * A VIEWER sees it disabled, with the reason.
 */
export function AcknowledgeForm({ incidentId, role }: { incidentId: number; role: StaffRole }) {
  const id = useId();
  const router = useRouter();
  const toast = useToast();
  const { pending, error, run } = useActionForm();
  const isAdmin = role === Role.ADMIN;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const note = String(new FormData(form).get('note') ?? '');
    run(
      form,
      () => acknowledgeIncidentAction({ id: incidentId, note }).catch(() => null),
      () => {
        toast.success(`Incident #${incidentId} acknowledged.`);
        router.refresh();
      },
    );
  };

  const describedBy = [!isAdmin ? `${id}-admin` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <ActionForm
      id={id}
      title="Acknowledge"
      submitLabel="Acknowledge"
      error={error}
      pending={pending}
      onSubmit={onSubmit}
      describedBy={describedBy}
      formClassName="ack-form"
      nameForm={false}
      disabled={!isAdmin}
      after={
        !isAdmin ? (
          <p id={`${id}-admin`} className="muted note">
            Requires the ADMIN role
          </p>
        ) : null
      }
    >
      <div className="field">
        <label htmlFor={`${id}-note`}>Note</label>
        <textarea
          id={`${id}-note`}
          name="note"
          required
          maxLength={MAX_NOTE}
          rows={2}
          disabled={!isAdmin || pending}
          placeholder="Who is on it, and what happens next"
        />
      </div>
    </ActionForm>
  );
}
