import Link from 'next/link';
import { LocalTime } from '@/components/ui/local-time';
import { DataTable } from '@/components/ui/data-table';
import { InvalidFilterNotice, LearnersCappedNotice } from '@/components/ui/notices';
import { Pagination } from '@/components/ui/pagination';
import { emptyPage, readPage } from '@/lib/data/paging';
import { jobFilters, jobQueryString, PAGE_SIZE, type JobQuery } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { formatDuration, formatInt } from '@/lib/format';
import { listSyncJobs } from '@/lib/sync';
import type { SyncJobSummary } from '@/lib/sync/types';
import { SyncJobStatus } from '@/lib/vocabulary';
import { JobStatus } from './job-status';

/** The sync job history, newest first, one page of the jobs that match the filters; each row links to the job. */
export async function JobTable({ q }: { q: JobQuery }) {
  const filters = jobFilters(q);
  const result = q.invalid
    ? { ...emptyPage<SyncJobSummary>(), learnersCapped: false }
    : await readPage(q.page, PAGE_SIZE, (offset) => listSyncJobs(getDb(), { ...filters, offset, limit: PAGE_SIZE }));
  const filtered = Object.values(filters).some((v) => v !== undefined);

  return (
    <>
      <InvalidFilterNotice message={q.invalid} />
      <LearnersCappedNotice capped={result.learnersCapped} />
      <DataTable
        label="Sync jobs"
        columns={[
          { label: 'Started' },
          { label: 'Trigger' },
          { label: 'Started by' },
          { label: 'Status' },
          { label: 'Duration', numeric: true },
          { label: 'Found', numeric: true },
          { label: 'Synced', numeric: true },
          { label: 'Failed', numeric: true },
          { label: 'Reason' },
        ]}
        empty={q.invalid ? 'No results.' : filtered ? 'No sync jobs match these filters.' : 'No sync job has run yet.'}
        rows={result.items.map((job) => (
          <tr key={job.id} data-job-id={job.id}>
            <td>
              <Link href={`/jobs/${job.id}`}>
                <LocalTime iso={job.startedAt.toISOString()} /> <span className="muted">#{job.id}</span>
              </Link>
            </td>
            <td>{job.trigger}</td>
            <td>{job.actor}</td>
            <td>
              <JobStatus status={job.status} />
            </td>
            <td className="num">{job.status === SyncJobStatus.RUNNING ? 'running' : formatDuration(job.durationMs)}</td>
            <td className="num">{formatInt(job.found)}</td>
            <td className="num">{formatInt(job.synced)}</td>
            <td className="num">{formatInt(job.failed)}</td>
            <td className="reason">{job.reason ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      />
      {!q.invalid ? <Pagination of={result} noun={['job', 'jobs']} hrefFor={(page) => `/jobs${jobQueryString({ ...q, page })}`} /> : null}
    </>
  );
}
