'use client';

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition, type FormEvent } from 'react';
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
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const isAdmin = role === Role.ADMIN;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const note = String(new FormData(form).get('note') ?? '');
    startTransition(async () => {
      const result = await acknowledgeIncidentAction({ id: incidentId, note }).catch(() => null);
      if (!result) return setError('The server could not be reached. Try again in a moment.');
      if (!result.ok) return setError(result.error.message);
      setError(null);
      form.reset();
      toast.success(`Incident #${incidentId} acknowledged.`);
      router.refresh();
    });
  };

  const describedBy = [!isAdmin ? `${id}-admin` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Acknowledge</h2>
      <form onSubmit={onSubmit} className="ack-form" aria-describedby={describedBy}>
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
        <button type="submit" className="button primary" disabled={!isAdmin || pending} aria-busy={pending}>
          Acknowledge
        </button>
      </form>
      {!isAdmin ? (
        <p id={`${id}-admin`} className="muted note">
          Requires the ADMIN role
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
