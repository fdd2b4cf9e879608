import Link from 'next/link';
import { LocalTime } from '@/components/ui/local-time';
import { DataTable } from '@/components/ui/data-table';
import { Pagination } from '@/components/ui/pagination';
import { readPage } from '@/lib/data/paging';
import { PAGE_SIZE, pageQueryString } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { formatDuration, formatInt } from '@/lib/format';
import { listSyncJobs } from '@/lib/sync';
import { SyncJobStatus } from '@/lib/vocabulary';
import { JobStatus } from './job-status';

/** The sync job history, newest first, one page of it; each row links to the job. */
export async function JobTable({ requestedPage }: { requestedPage: number }) {
  const result = await readPage(requestedPage, PAGE_SIZE, (offset) => listSyncJobs(getDb(), { offset, limit: PAGE_SIZE }));

  return (
    <>
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
        empty="No sync job has run yet."
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
      <Pagination of={result} noun={['job', 'jobs']} hrefFor={(p) => `/jobs${pageQueryString(p)}`} />
    </>
  );
}
