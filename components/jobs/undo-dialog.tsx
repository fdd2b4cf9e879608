'use client';

import { useState, useTransition } from 'react';
import { usePreviewDialog } from '@/components/ui/use-preview-dialog';
import { previewUndoAction } from '@/lib/actions/preview-undo';
import { undoSyncJobAction } from '@/lib/actions/undo-sync-job';
import type { JobDto } from '@/lib/data/dto';
import { formatInt, formatPairLevels } from '@/lib/format';
import type { UndoPreview } from '@/lib/sync/undo';

const OUTCOME_TEXT = { SYNCED: 'Put back', CONFLICT: 'Conflict: left as it is', SKIPPED: 'Already as before' } as const;

/**
 * "Undo job": the undo's dry run (how many pairs go back, how many changed since and stay as
 * they are), a required "Reason", and "Confirm undo" / "Cancel".
 */
export function UndoDialog({
  jobId,
  open,
  onClose,
  onStarted,
}: {
  jobId: number;
  open: boolean;
  onClose: () => void;
  onStarted: (job: JobDto) => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [starting, startUndo] = useTransition();
  const { ref, state } = usePreviewDialog<UndoPreview>(open, String(jobId), () => previewUndoAction({ jobId }), {
    onOpen: () => setError(null),
  });

  const confirm = () =>
    startUndo(async () => {
      setError(null);
      const result = await undoSyncJobAction({ jobId, reason }).catch(() => null);
      if (!result) setError('The undo could not reach the server. Try again in a moment.');
      else if (result.ok) {
        setReason('');
        onStarted(result.job);
      } else setError(result.error.message);
    });

  const preview = state.status === 'ready' ? state.preview : null;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="undo-preview-title" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          confirm();
        }}
      >
        <h2 id="undo-preview-title">Undo preview</h2>
        {state.status === 'loading' ? (
          <p className="muted" aria-busy="true">
            Comparing every pair the job changed with how it is now…
          </p>
        ) : state.status === 'error' ? (
          <p className="form-error">{state.message}</p>
        ) : preview ? (
          <>
            <p>
              Undoing job #{preview.jobId} would put back <strong className="num">{formatInt(preview.restore)}</strong> of the{' '}
              {formatInt(preview.changed)} pairs it changed. <strong className="num">{formatInt(preview.conflicts)}</strong> changed since
              and would be left as they are (conflicts)
              {preview.unchanged ? `; ${formatInt(preview.unchanged)} are already as the job found them` : ''}. Nothing has been changed
              yet.
            </p>
            {preview.items.length ? (
              <div className="table-scroll">
                <table className="table compact" aria-label="Planned undo">
                  <caption className="caption-side">First {preview.items.length} pairs</caption>
                  <thead>
                    <tr>
                      <th scope="col">Learner</th>
                      <th scope="col">Specialization</th>
                      <th scope="col">Now</th>
                      <th scope="col">Put back</th>
                      <th scope="col">Outcome</th>
                    </tr>
                  </thead>
                  <tbody>
                    {preview.items.map((i) => (
                      <tr key={`${i.userId}:${i.specializationId}`} data-outcome={i.outcome}>
                        <td>{i.email ?? `#${i.userId}`}</td>
                        <td>{i.specializationId}</td>
                        <td>{formatPairLevels(i.before)}</td>
                        <td>{i.outcome === 'SYNCED' && i.after ? `→ ${formatPairLevels(i.after)}` : '—'}</td>
                        <td title={i.note ?? undefined}>{OUTCOME_TEXT[i.outcome]}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </>
        ) : null}
        <div className="field">
          <label htmlFor="undo-reason">Reason</label>
          <textarea
            id="undo-reason"
            name="reason"
            rows={2}
            maxLength={500}
            required
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            aria-describedby="undo-reason-hint"
          />
          <p id="undo-reason-hint" className="muted hint">
            Required. Recorded with the undo job and in the audit log.
          </p>
        </div>
        {error ? <p className="form-error">{error}</p> : null}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button primary"
            disabled={state.status !== 'ready' || !preview?.restore || !reason.trim() || starting}
            aria-busy={starting}
          >
            Confirm undo
          </button>
        </div>
      </form>
    </dialog>
  );
}
