import Link from 'next/link';
import { LocalTime } from '@/components/ui/local-time';
import { formatDuration, formatInt } from '@/lib/format';
import { describeScope } from '@/lib/sync/scope';
import type { SyncJobSummary } from '@/lib/sync/types';

/** One sync job's facts: when, who, why, what it was limited to, what it undoes or was undone by, and its counts. */
export function JobSummary({ job, undos = [] }: { job: SyncJobSummary; undos?: { id: number; status: string }[] }) {
  return (
    <section className="card" aria-labelledby="job-summary-title">
      <h2 id="job-summary-title" className="sr-only">
        Summary
      </h2>
      <dl className="summary-grid">
        <div>
          <dt>Started</dt>
          <dd>
            <LocalTime iso={job.startedAt.toISOString()} relative />
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{job.finishedAt ? <LocalTime iso={job.finishedAt.toISOString()} /> : 'Still running'}</dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {job.trigger}
            {job.undoesJobId ? (
              <>
                {' '}
                of <Link href={`/jobs/${job.undoesJobId}`}>job #{job.undoesJobId}</Link>
              </>
            ) : null}
          </dd>
        </div>
        <div className="wide">
          <dt>Scope</dt>
          <dd>{job.trigger === 'UNDO' ? 'The pairs the undone job changed' : describeScope(job.scope)}</dd>
        </div>
        <div>
          <dt>Started by</dt>
          <dd>{job.actor}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd className="num">{formatDuration(job.durationMs)}</dd>
        </div>
        <div>
          <dt>Found</dt>
          <dd className="num">{formatInt(job.found)}</dd>
        </div>
        <div>
          <dt>Synced</dt>
          <dd className="num">{formatInt(job.synced)}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd className="num">{formatInt(job.failed)}</dd>
        </div>
        <div>
          <dt>Reported</dt>
          <dd className="num">{formatInt(job.reported)}</dd>
        </div>
        {job.trigger === 'UNDO' ? (
          <div>
            <dt>Conflicts</dt>
            <dd className="num">{formatInt(job.conflicts)}</dd>
          </div>
        ) : null}
        {job.cancelledBy ? (
          <div>
            <dt>Cancelled by</dt>
            <dd>{job.cancelledBy}</dd>
          </div>
        ) : null}
        {undos.length ? (
          <div className="wide">
            <dt>Undone by</dt>
            <dd>
              {undos.map((u, i) => (
                <span key={u.id}>
                  {i ? ', ' : ''}
                  <Link href={`/jobs/${u.id}`}>job #{u.id}</Link> ({u.status})
                </span>
              ))}
            </dd>
          </div>
        ) : null}
        <div className="wide">
          <dt>Reason</dt>
          <dd>{job.reason ?? '—'}</dd>
        </div>
        {job.error ? (
          <div className="wide">
            <dt>Error</dt>
            <dd className="text-bad">{job.error}</dd>
          </div>
        ) : null}
      </dl>
    </section>
  );
}
