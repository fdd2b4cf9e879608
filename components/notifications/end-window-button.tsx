'use client';

import { useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import { endMaintenanceWindowAction } from '@/lib/actions/end-maintenance-window';

/** An active maintenance window's "End now": the notifications it held are sent from now on. */
export function EndWindowButton({ id }: { id: number }) {
  const toast = useToast();
  const [pending, startTransition] = useTransition();
  const onClick = () =>
    startTransition(async () => {
      const result = await endMaintenanceWindowAction({ id }).catch(() => null);
      if (!result) toast.error('The server could not be reached. Try again in a moment.');
      else if (!result.ok) toast.error(result.error.message);
      else toast.success('Maintenance window ended: notifications are sent again.');
    });
  return (
    <button type="button" className="button small" onClick={onClick} disabled={pending} aria-busy={pending}>
      End now
    </button>
  );
}
