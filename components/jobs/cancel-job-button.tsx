'use client';

import { useRouter } from 'next/navigation';
import { useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import { cancelSyncJobAction } from '@/lib/actions/cancel-sync-job';
import { formatInt } from '@/lib/format';

/**
 * "Cancel job" (ADMIN): the job ends CANCELLED at once; the batch in flight rolls back and the
 * batches it committed stay. `onCancelled` lets the dashboard drop its progress bar at once.
 */
export function CancelJobButton({
  jobId,
  disabledReasonId,
  onCancelled,
}: {
  jobId: number;
  disabledReasonId?: string;
  onCancelled?: () => void;
}) {
  const toast = useToast();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const cancel = () =>
    startTransition(async () => {
      const result = await cancelSyncJobAction({ jobId }).catch(() => null);
      if (!result) {
        toast.error('The cancel could not reach the server. Try again in a moment.');
        return;
      }
      if (!result.ok) {
        toast.error(result.error.message);
        return;
      }
      const j = result.job;
      toast.success(`Sync job #${j.id} cancelled after ${formatInt(j.done)} of ${formatInt(j.total)} pairs; the repairs it made are kept.`);
      onCancelled?.();
      router.refresh();
    });
  return (
    <button
      type="button"
      className="button danger small"
      onClick={cancel}
      disabled={!!disabledReasonId || pending}
      aria-busy={pending}
      aria-describedby={disabledReasonId}
    >
      Cancel job
    </button>
  );
}
