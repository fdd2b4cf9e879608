'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, useTransition } from 'react';
import { queryKeys } from '@/components/query-keys';
import { LocalTime } from '@/components/ui/local-time';
import { useToast } from '@/components/ui/toaster';
import { runFullAuditAction } from '@/lib/actions/run-full-audit';
import type { JobDto } from '@/lib/data/dto';
import { formatInt, formatRate } from '@/lib/format';
import { REPAIRABLE_KINDS, Role, SyncJobStatus, type StaffRole } from '@/lib/vocabulary';
import { CancelJobButton } from '@/components/jobs/cancel-job-button';
import { SyncPreviewDialog } from './sync-preview-dialog';

function describeFinished(job: JobDto): string {
  const counts = `${formatInt(job.synced)} synced, ${formatInt(job.failed)} failed, ${formatInt(job.reported)} reported`;
  return `Sync job #${job.id} ${job.status}: ${counts}.`;
}

/** "Run full audit" and "Sync now" (ADMIN; visible but disabled for a VIEWER), and the running job's progress. */
export function AdminActions({
  role,
  runningJob,
  onFiguresChanged,
  autoRefresh,
}: {
  role: StaffRole;
  runningJob: JobDto | null;
  onFiguresChanged: () => void;
  autoRefresh: boolean;
}) {
  const isAdmin = role === Role.ADMIN;
  const toast = useToast();
  const queryClient = useQueryClient();
  const [checking, startCheck] = useTransition();
  const [dialogOpen, setDialogOpen] = useState(false);

  // Announce a job's outcome when the running job we were showing goes away.
  const shownJob = useRef<number | null>(runningJob?.id ?? null);
  useEffect(() => {
    const previous = shownJob.current;
    shownJob.current = runningJob?.id ?? null;
    if (previous === null || runningJob?.id === previous) return;
    // The job's closing snapshot lands just after the job itself: refresh now and again.
    onFiguresChanged();
    const again = setTimeout(onFiguresChanged, 3_000);
    void fetch(`/api/sync-jobs/${previous}`, { cache: 'no-store' })
      .then((r) => (r.ok ? (r.json() as Promise<{ job: JobDto }>) : null))
      .then((body) => {
        if (!body) return toast.info(`Sync job #${previous} finished.`);
        if (body.job.status === SyncJobStatus.SUCCEEDED) toast.success(describeFinished(body.job));
        else if (body.job.status === SyncJobStatus.CANCELLED) toast.info(`${describeFinished(body.job)} It was ${body.job.error}.`);
        else toast.error(describeFinished(body.job) + (body.job.error ? ` ${body.job.error}` : ''));
      })
      .catch(() => toast.info(`Sync job #${previous} finished.`));
    return () => clearTimeout(again);
  }, [runningJob?.id, onFiguresChanged, toast]);

  const runCheck = () =>
    startCheck(async () => {
      const result = await runFullAuditAction();
      if (!result.ok) {
        toast.error(result.error.message);
        return;
      }
      const h = result.health;
      const desyncs = REPAIRABLE_KINDS.reduce((s, k) => s + (h.byKind[k] ?? 0), 0);
      const rate = formatRate(h.consistencyRate, h.consistentPairs, h.totalPairs);
      toast.success(
        `Full audit done: ${rate} consistent, ${formatInt(desyncs)} desyncs, ${formatInt(h.orphans)} orphans, ` +
          `drift ${formatInt(h.drift ?? 0)}.` +
          (autoRefresh ? '' : ' Auto-refresh is off, so the figures below keep their last update.'),
      );
      onFiguresChanged();
    });

  const describedBy = [!isAdmin ? 'admin-only-note' : null, runningJob ? 'sync-running-note' : null].filter(Boolean).join(' ') || undefined;
  const pct = runningJob && runningJob.total > 0 ? Math.round((runningJob.done / runningJob.total) * 100) : null;

  return (
    <section className="card actions" aria-labelledby="actions-title">
      <h2 id="actions-title" className="sr-only">
        Actions
      </h2>
      <div className="action-buttons">
        <button
          type="button"
          className="button"
          onClick={runCheck}
          disabled={!isAdmin || checking}
          aria-busy={checking}
          aria-describedby={!isAdmin ? 'admin-only-note' : undefined}
        >
          Run full audit
        </button>
        <button
          type="button"
          className="button primary"
          onClick={() => setDialogOpen(true)}
          disabled={!isAdmin || !!runningJob}
          aria-describedby={describedBy}
        >
          Sync now
        </button>
        {!isAdmin ? (
          <p id="admin-only-note" className="muted note">
            Requires the ADMIN role
          </p>
        ) : null}
        {checking ? <p className="muted note">Running the full audit (every pair)…</p> : null}
      </div>
      {runningJob ? (
        <div className="running-job">
          <p id="sync-running-note">
            Sync running since <LocalTime iso={runningJob.startedAt} />, started by {runningJob.actor}
          </p>
          <div className="progress-row">
            <progress
              className="progress"
              aria-label="Sync progress"
              max={Math.max(runningJob.total, 1)}
              value={runningJob.total > 0 ? runningJob.done : undefined}
              aria-valuetext={runningJob.total > 0 ? `${runningJob.done} of ${runningJob.total} pairs` : 'Counting pairs'}
            />
            <span className="num muted">
              {formatInt(runningJob.done)} / {formatInt(runningJob.total)}
              {pct !== null ? ` (${pct}%)` : ''}
            </span>
            <CancelJobButton
              jobId={runningJob.id}
              disabledReasonId={!isAdmin ? 'admin-only-note' : undefined}
              onCancelled={() => {
                // The button said so already: the job's end is not announced a second time.
                shownJob.current = null;
                void queryClient.invalidateQueries({ queryKey: queryKeys.runningJob });
              }}
            />
          </div>
        </div>
      ) : null}
      {isAdmin ? (
        <SyncPreviewDialog
          open={dialogOpen}
          onClose={() => setDialogOpen(false)}
          onStarted={(job) => {
            setDialogOpen(false);
            shownJob.current = job.id;
            queryClient.setQueryData(queryKeys.runningJob, job);
            toast.success(`Sync job #${job.id} started${job.total ? `: ${formatInt(job.total)} pairs to repair` : ''}.`);
          }}
        />
      ) : null}
    </section>
  );
}
