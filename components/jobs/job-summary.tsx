import { LocalTime } from '@/components/ui/local-time';
import { formatDuration, formatInt } from '@/lib/format';
import type { SyncJobSummary } from '@/lib/sync/types';

/** One sync job's facts: when, who, why, and its counts. */
export function JobSummary({ job }: { job: SyncJobSummary }) {
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
          <dd>{job.trigger}</dd>
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
