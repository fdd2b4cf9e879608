'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useToast } from '@/components/ui/toaster';
import { Role, SyncJobStatus, type StaffRole } from '@/lib/vocabulary';
import { CancelJobButton } from './cancel-job-button';
import { UndoDialog } from './undo-dialog';

/** A job page's "Cancel job" (running) and "Undo job" (ended, having changed pairs); ADMIN only, shown disabled to a VIEWER. */
export function JobControls({ jobId, status, synced, role }: { jobId: number; status: SyncJobStatus; synced: number; role: StaffRole }) {
  const router = useRouter();
  const toast = useToast();
  const [undoOpen, setUndoOpen] = useState(false);
  const isAdmin = role === Role.ADMIN;
  const running = status === SyncJobStatus.RUNNING;
  if (!running && synced === 0) return null;
  return (
    <div className="job-controls">
      {running ? (
        <CancelJobButton jobId={jobId} disabledReasonId={!isAdmin ? 'job-admin-note' : undefined} />
      ) : (
        <button
          type="button"
          className="button"
          onClick={() => setUndoOpen(true)}
          disabled={!isAdmin}
          aria-describedby={!isAdmin ? 'job-admin-note' : undefined}
        >
          Undo job
        </button>
      )}
      {!isAdmin ? (
        <p id="job-admin-note" className="muted note">
          Requires the ADMIN role
        </p>
      ) : (
        <UndoDialog
          jobId={jobId}
          open={undoOpen}
          onClose={() => setUndoOpen(false)}
          onStarted={(job) => {
            setUndoOpen(false);
            toast.success(`Undo job #${job.id} started: it puts back what job #${jobId} changed.`);
            router.push(`/jobs/${job.id}`);
          }}
        />
      )}
    </div>
  );
}
