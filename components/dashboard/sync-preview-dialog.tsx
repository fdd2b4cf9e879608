'use client';

import { useState, useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import { usePreviewDialog } from '@/components/ui/use-preview-dialog';
import { previewSyncAction } from '@/lib/actions/preview-sync';
import { startSyncJobAction } from '@/lib/actions/start-sync-job';
import type { JobDto } from '@/lib/data/dto';
import { formatInt, formatPairLevels } from '@/lib/format';
import { alreadyRunningMessage } from '@/lib/sync/errors';
import { describeScope, type ScopeRequest } from '@/lib/sync/scope';
import type { PairSnapshot, SyncPreview } from '@/lib/sync/types';
import { DESYNC_KINDS, KIND_LABELS } from '@/lib/vocabulary';

/** A planned repair's levels; an orphan has no "after": the job reports it and leaves it. */
const snapshotText = (s: PairSnapshot | null) => (s ? formatPairLevels(s) : 'left as is (reported)');

/**
 * "Sync now" (and "Sync these N" / "Sync selected" on /desyncs, with a scope): a modal dialog
 * showing the dry run (counts by kind, the first planned repairs before -> after), a "Reason"
 * box, and "Confirm sync" / "Cancel". The job repairs exactly the scope the preview showed.
 */
export function SyncPreviewDialog({
  open,
  onClose,
  onStarted,
  scope = null,
}: {
  open: boolean;
  onClose: () => void;
  onStarted: (job: JobDto) => void;
  scope?: ScopeRequest | null;
}) {
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [starting, startJob] = useTransition();
  // The dry run depends on the scope's content, not on the identity of the object passed in.
  const scopeKey = scope ? JSON.stringify(scope) : '';
  const { ref, state } = usePreviewDialog<SyncPreview>(open, scopeKey, () => previewSyncAction(scope ? { scope } : undefined), {
    onOpen: () => setConfirmError(null),
    onError: (message) => toast.error(message),
  });

  const confirm = () =>
    startJob(async () => {
      setConfirmError(null);
      const result = await startSyncJobAction({ reason, scope });
      if (result.ok) {
        setReason('');
        onStarted(result.job);
        return;
      }
      // The server sends UTC; say "since when" in the viewer's time zone.
      const r = result.error.running;
      const message = r ? alreadyRunningMessage(r, new Date(r.startedAt).toLocaleString()) : result.error.message;
      setConfirmError(message);
      toast.error(message);
    });

  const preview = state.status === 'ready' ? state.preview : null;

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="sync-preview-title" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          confirm();
        }}
      >
        <h2 id="sync-preview-title">Sync preview</h2>
        {scope ? (
          <p className="scope-line">
            Scope: <strong>{describeScope(scope)}</strong>. Only these desyncs are repaired.
          </p>
        ) : null}
        {state.status === 'loading' ? (
          <div aria-busy="true">
            <p className="muted">Computing the dry run…</p>
            <div className="skeleton" style={{ height: 120 }} aria-hidden="true" />
          </div>
        ) : state.status === 'error' ? (
          <p className="form-error">{state.message}</p>
        ) : preview ? (
          <>
            <p>
              A sync would address <strong className="num">{formatInt(preview.found)}</strong> out-of-sync pairs. Nothing has been changed
              yet.
            </p>
            <table className="table compact" aria-label="Preview counts by kind">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col" className="num">
                    Pairs
                  </th>
                </tr>
              </thead>
              <tbody>
                {DESYNC_KINDS.map((k) => (
                  <tr key={k} data-kind={k}>
                    <th scope="row" title={KIND_LABELS[k]}>
                      {k}
                    </th>
                    <td className="num">{formatInt(preview.byKind[k] ?? 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {preview.items.length ? (
              <div className="table-scroll">
                <table className="table compact" aria-label="Planned repairs">
                  <caption className="caption-side">First {preview.items.length} planned repairs</caption>
                  <thead>
                    <tr>
                      <th scope="col">Learner</th>
                      <th scope="col">Specialization</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Before</th>
                      <th scope="col">After</th>
                    </tr>
                  </thead>
                  <tbody>
                    {preview.items.map((item) => (
                      <tr key={`${item.userId}:${item.specializationId}:${item.kind}`}>
                        <td>{item.email ?? `#${item.userId}`}</td>
                        <td>{item.specializationId}</td>
                        <td>{item.kind}</td>
                        <td>{snapshotText(item.before)}</td>
                        <td>→ {snapshotText(item.after)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <p className="muted">Nothing to repair.</p>
            )}
          </>
        ) : null}

        <div className="field">
          <label htmlFor="sync-reason">Reason</label>
          <textarea
            id="sync-reason"
            name="reason"
            rows={2}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            aria-describedby="sync-reason-hint"
          />
          <p id="sync-reason-hint" className="muted hint">
            Recorded with the job and in the audit log.
          </p>
        </div>
        {confirmError ? <p className="form-error">{confirmError}</p> : null}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={state.status !== 'ready' || starting} aria-busy={starting}>
            Confirm sync
          </button>
        </div>
      </form>
    </dialog>
  );
}
