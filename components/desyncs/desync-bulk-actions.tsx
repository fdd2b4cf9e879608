'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { SyncPreviewDialog } from '@/components/dashboard/sync-preview-dialog';
import { useToast } from '@/components/ui/toaster';
import { formatInt } from '@/lib/format';
import type { ScopeRequest } from '@/lib/sync/scope';

/** The form the rows' checkboxes belong to (they sit in table cells, outside it: form="…"). */
export const SELECTION_FORM = 'desync-selection';

function selectedPairs(form: HTMLFormElement | null): { userId: number; specializationId: string }[] {
  if (!form) return [];
  return new FormData(form).getAll('pair').map((v) => {
    const [user, spec] = String(v).split(':');
    return { userId: Number(user), specializationId: spec! };
  });
}

/**
 * "Sync these N" (the filtered list, exactly) and "Sync selected" (the checked rows), ADMIN only:
 * both open the sync preview scoped to those desyncs; the job then repairs only them.
 */
export function DesyncBulkActions({ total, filters }: { total: number; filters: ScopeRequest | null }) {
  const router = useRouter();
  const toast = useToast();
  const form = useRef<HTMLFormElement>(null);
  const [selected, setSelected] = useState(0);
  const [scope, setScope] = useState<ScopeRequest | null>(null);

  // The checkboxes are outside the form's subtree, so their changes are heard on the document.
  useEffect(() => {
    const onChange = (e: Event) => {
      const target = e.target as HTMLInputElement | null;
      if (target?.form === form.current) setSelected(selectedPairs(form.current).length);
    };
    document.addEventListener('change', onChange);
    return () => document.removeEventListener('change', onChange);
  }, []);

  return (
    <div className="bulk-actions">
      <form id={SELECTION_FORM} ref={form} onSubmit={(e) => e.preventDefault()} />
      {filters && total > 0 ? (
        <button type="button" className="button primary" onClick={() => setScope(filters)}>
          Sync these {formatInt(total)}
        </button>
      ) : null}
      <button
        type="button"
        className="button"
        disabled={selected === 0}
        onClick={() => {
          const pairs = selectedPairs(form.current);
          if (pairs.length) setScope({ pairs });
        }}
      >
        Sync selected{selected ? ` (${formatInt(selected)})` : ''}
      </button>
      <SyncPreviewDialog
        open={scope !== null}
        scope={scope}
        onClose={() => setScope(null)}
        onStarted={(job) => {
          setScope(null);
          toast.success(`Sync job #${job.id} started: it repairs only these desyncs.`);
          router.push(`/jobs/${job.id}`);
        }}
      />
    </div>
  );
}
