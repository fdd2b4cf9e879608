'use client';

import { useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import { syncPairAction } from '@/lib/actions/sync-pair';
import { formatPairLevels, formatRate } from '@/lib/format';

/** A desync row's "Sync": repairs that pair alone (ADMIN). */
export function SyncRowButton({
  userId,
  specializationId,
  learner,
  disabledReasonId,
}: {
  userId: number;
  specializationId: string;
  learner: string;
  /** When set, the button is disabled and described by the element with this id. */
  disabledReasonId?: string;
}) {
  const toast = useToast();
  const [pending, startTransition] = useTransition();

  const onClick = () =>
    startTransition(async () => {
      const result = await syncPairAction({ userId, specializationId });
      if (!result.ok) {
        toast.error(result.error.message);
        return;
      }
      const what = `${learner} (${specializationId})`;
      if (result.outcome === 'SYNCED') {
        const change = `${formatPairLevels(result.before)} → ${formatPairLevels(result.after)}`;
        toast.success(`Synced ${what}: ${change}. Consistency rate now ${formatRate(result.consistencyRate)}.`);
      } else if (result.outcome === 'NOOP') {
        toast.info(`${what} was already in sync; nothing changed.`);
      } else {
        toast.info(`${what} is an orphan: reported, not repaired.`);
      }
    });

  return (
    <button
      type="button"
      className="button small"
      onClick={onClick}
      disabled={!!disabledReasonId || pending}
      aria-busy={pending}
      aria-describedby={disabledReasonId}
    >
      Sync
    </button>
  );
}
